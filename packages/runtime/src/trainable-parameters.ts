import type { Adapter } from './adapter.js';
import type { AdapterLayer } from './adapter-layer.js';
import { numel } from './adapter-tensor.js';
import { formatFixed4, formatThousands } from './python-format.js';
import { resolveBaseNames } from './resolve-base-names.js';

/** What `get_nb_trainable_parameters()` returns: `(trainable, all)`. */
export interface ParameterCount {
  /** Parameters with `requires_grad` while training. */
  readonly trainable: number;
  /** Every parameter of the PEFT model. */
  readonly all: number;
}

/** The part of a base checkpoint parameter counting needs ({@link BaseCheckpoint} has it). */
export interface ParameterSource {
  /** Every tensor name (tied weights stored once, as `save_pretrained` writes them). */
  tensorNames(): string[];
  /** Whether a name is present. */
  has(name: string): boolean;
  /** A tensor's shape. */
  info(name: string): { readonly shape: readonly number[] };
}

/**
 * Parameters the adapter itself adds while training: its tuner tensors (AdaLoRA at `init_r`, before rank
 * allocation) and one copy of every `modules_to_save` module.
 *
 * @param adapter - the adapter
 * @returns `{ trainable, extra }`: trainable values, and non-trainable values the adapter adds (AdaLoRA `ranknum`)
 * @internal
 */
export function adapterParameters(adapter: Adapter): { trainable: number; extra: number } {
  let trainable = 0;
  let extra = 0;
  for (const layer of adapter.layers) {
    trainable += layerParameters(layer);
    if (layer.kind !== 'ia3' && layer.adalora !== undefined) extra += 1;
  }
  for (const r of adapter.replacements)
    if (r.reason === 'modules_to_save') trainable += numel(r.tensor.shape);
  return { trainable, extra };
}

/**
 * Values of one layer's tuner parameters as PEFT counts them while training (AdaLoRA: A, E and B at `init_r`).
 *
 * @param layer - a layer record
 * @returns the number of values
 * @internal
 */
export function layerParameters(layer: AdapterLayer): number {
  if (layer.kind === 'ia3') return layer.size;
  const rank = layer.adalora?.initR ?? layer.rank;
  let n = rank * (layer.inFeatures + layer.outFeatures);
  if (layer.adalora !== undefined) n += rank; // lora_E
  if (layer.magnitude !== undefined) n += numel(layer.magnitude.shape);
  if (layer.loraBias !== undefined) n += numel(layer.loraBias.shape);
  return n;
}

/**
 * PEFT's `get_nb_trainable_parameters()` for the adapter on this base, as at training time: every base parameter
 * plus the adapter's (AdaLoRA counts `init_r` ranks and its non-trainable `ranknum`; a `modules_to_save` module
 * counts twice, original and trainable copy; `bias="all"` makes every base `*.bias` trainable except in the
 * frozen `modules_to_save` originals, `"lora_only"` the biases of the targeted modules).
 *
 * @param adapter - the adapter
 * @param base - the base checkpoint (its tensors are counted as parameters; tied weights once)
 * @returns `{ trainable, all }`
 * @throws {AdapterError} `TARGET_NOT_FOUND` when the adapter's modules cannot be found in the base
 * @example
 * ```ts
 * countParameters(adapter, base); // { trainable: 1024, all: 23360 }
 * ```
 */
export function countParameters(adapter: Adapter, base: ParameterSource): ParameterCount {
  const own = adapterParameters(adapter);
  const names = base.tensorNames();
  let all = own.trainable + own.extra;
  for (const name of names) all += numel(base.info(name).shape);
  let trainable = own.trainable;
  const bias = adapter.config.peft_type === 'IA3' ? 'none' : adapter.config.bias;
  if (bias === 'none') return { trainable, all };
  const copies = adapter.replacements.filter((r) => r.reason === 'modules_to_save').map((r) => r.name);
  const needed = [...adapter.layers.map((l) => `${l.module}.weight`), ...copies];
  const hint = adapter.config.base_model_name_or_path ?? 'another model';
  const mapping = resolveBaseNames(needed, (n) => base.has(n), names, hint);
  if (bias === 'all') {
    // Every `*.bias` becomes trainable, except in the originals of modules_to_save modules, which the wrapper
    // freezes again (their trainable copies are counted above).
    const frozen = new Set(copies.map((n) => mapping.map(n)));
    for (const name of names) {
      if ((name === 'bias' || name.endsWith('.bias')) && !frozen.has(name))
        trainable += numel(base.info(name).shape);
    }
  } else {
    for (const layer of adapter.layers) {
      const name = mapping.map(`${layer.module}.bias`);
      if (base.has(name)) trainable += numel(base.info(name).shape);
    }
  }
  return { trainable, all };
}

/**
 * The line PEFT's `print_trainable_parameters()` prints (without the newline):
 * `trainable params: 1,024 || all params: 23,360 || trainable%: 4.3836`.
 *
 * @param count - from {@link countParameters}
 * @returns the line, with Python's `,d` and `.4f` (ties to even) formatting
 * @example
 * ```ts
 * formatTrainableLine({ trainable: 1024, all: 23360 });
 * ```
 */
export function formatTrainableLine(count: ParameterCount): string {
  const percent = (100 * count.trainable) / count.all;
  return (
    `trainable params: ${formatThousands(count.trainable)} || all params: ${formatThousands(count.all)} || ` +
    `trainable%: ${formatFixed4(percent)}`
  );
}
