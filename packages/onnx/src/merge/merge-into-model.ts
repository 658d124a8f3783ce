import type { FloatBuffer, Weight } from '@peftjs/kernels';
import { OnnxError } from '../errors.js';
import { GraphEditor } from '../graph/graph-editor.js';
import type {
  BaseWeightFn,
  LocateRequest,
  WeightKind,
  WeightLayout,
  WeightLocation,
} from '../locate/types.js';
import { WeightLocator } from '../locate/weight-locator.js';
import type { ExternalDataSource } from '../model/external-data.js';
import { readTensorData, setTensorData } from '../model/tensor-data.js';
import type { ModelProto, TensorProto } from '../model/types.js';
import { planOwnership, type Slot } from './ownership.js';
import { addValues, bytesOf, mergeDtype, valuesLayout, writableCopy } from './weight-buffer.js';

/** What a merge callback learns about the weight it changes. */
export interface MergeContext {
  readonly location: WeightLocation;
  /**
   * True when the weight is stored `[in, out]` for a linear layer (MatMul's Wᵀ, GPT-2 Conv1D): pass it as the
   * kernels' `fanInFanOut`. Embedding tables (`[num_embeddings, dim]`) are always false.
   */
  readonly fanInFanOut: boolean;
}

/** Changes a weight in place (e.g. `(w, c) => mergeLora(w, { ...lora, fanInFanOut: c.fanInFanOut })`). */
export type WeightMergeFn = (weight: Weight, context: MergeContext) => void | Promise<void>;
/** Changes a bias in place (e.g. `(b) => mergeIa3Bias(b, ia3)`). */
export type BiasMergeFn = (bias: FloatBuffer, context: MergeContext) => void | Promise<void>;

/** One module to merge into: at most one weight operation and at most one bias operation. */
export interface MergeTarget {
  /** The PEFT module name. */
  readonly module: string;
  /** `'linear'` or `'embedding'`: tells tied weights apart (see `WeightLocator`). */
  readonly kind?: WeightKind;
  /** ΔW to add, float32, in `layout`. */
  readonly delta?: Float32Array;
  /** A kernels-style function changing the weight in place. */
  readonly merge?: WeightMergeFn;
  /** New weight values (modules_to_save), float32, in `layout`. */
  readonly replaceWeight?: Float32Array;
  /**
   * Layout of `delta` / `replaceWeight`. Default: PyTorch's for the operator — `'out_in'` (nn.Linear) for
   * MatMul/Gemm, `'in_out'` (`[num_embeddings, dim]`) for Gather; GPT-2 Conv1D deltas are `'in_out'`.
   */
  readonly layout?: WeightLayout;
  /** Δb to add to the bias, float32 `[out]`. */
  readonly biasDelta?: Float32Array;
  /** A kernels-style function changing the bias in place. */
  readonly mergeBias?: BiasMergeFn;
  /** New bias values, float32 `[out]`. */
  readonly replaceBias?: Float32Array;
}

/** Options of {@link mergeIntoModel}. */
export interface MergeIntoModelOptions {
  /** Reads the model's external tensors. */
  source?: ExternalDataSource;
  /** Base checkpoint weights, for locating anonymous weights by value. */
  baseWeight?: BaseWeightFn;
}

/** What {@link mergeIntoModel} did for one module. */
export interface MergedModule {
  readonly module: string;
  readonly location: WeightLocation;
  /** The initializer now holding the merged weight (a new one when `copied`). */
  readonly initializer: string;
  /** Whether the weight was copied first, because another module or node reads the original. */
  readonly copied: boolean;
  /** The bias initializer written, if a bias operation was given. */
  readonly bias?: { readonly initializer: string; readonly copied: boolean };
}

function check(target: MergeTarget, location: WeightLocation): void {
  const weightOps = [target.delta, target.merge, target.replaceWeight].filter((x) => x !== undefined).length;
  const biasOps = [target.biasDelta, target.mergeBias, target.replaceBias].filter(
    (x) => x !== undefined,
  ).length;
  const fail = (why: string): never => {
    throw new OnnxError('INVALID_ARGUMENT', `Invalid merge target "${target.module}": ${why}.`, {
      value: target.module,
    });
  };
  if (weightOps > 1 || biasOps > 1)
    fail('give at most one of delta/merge/replaceWeight and one of biasDelta/mergeBias/replaceBias');
  if (weightOps + biasOps === 0) fail('nothing to merge');
  if (biasOps > 0 && location.op === 'Gather') fail('an embedding has no bias');
  for (const v of [target.biasDelta, target.replaceBias]) {
    if (v && v.length !== location.outFeatures)
      fail(`the bias has ${location.outFeatures} values, got ${v.length}`);
  }
  const size = location.inFeatures * location.outFeatures;
  for (const v of [target.delta, target.replaceWeight]) {
    if (v && v.length !== size) fail(`the weight has ${size} values, got ${v.length}`);
  }
}

/** Loads a slot's current values once (a private copy; the model's bytes are never written). */
async function load(
  slot: Slot,
  source: ExternalDataSource | undefined,
  what: string,
): Promise<Float32Array | Uint16Array> {
  if (!slot.values) {
    const dtype = mergeDtype(slot.original, what);
    slot.values = writableCopy(await readTensorData(slot.original, source), dtype);
  }
  return slot.values;
}

async function applyWeight(
  target: MergeTarget,
  location: WeightLocation,
  slot: Slot,
  source?: ExternalDataSource,
): Promise<void> {
  const data = await load(slot, source, 'weight');
  const [rows, cols] = slot.original.dims as [number, number];
  const weight: Weight = { data, dtype: mergeDtype(slot.original, 'weight'), rows, cols };
  const stored = location.layout;
  const layout = target.layout ?? (location.op === 'Gather' ? 'in_out' : 'out_in');
  const context: MergeContext = { location, fanInFanOut: location.op !== 'Gather' && stored === 'in_out' };
  if (target.delta) {
    addValues(weight, target.delta, { ...opt(valuesLayout(weight, target.delta, layout, stored, 'delta')) });
  } else if (target.replaceWeight) {
    const transposed = valuesLayout(weight, target.replaceWeight, layout, stored, 'replaceWeight');
    addValues(weight, target.replaceWeight, { replace: true, ...opt(transposed) });
  } else if (target.merge) {
    await callback(target.module, () => (target.merge as WeightMergeFn)(weight, context));
  }
}

async function applyBias(
  target: MergeTarget,
  location: WeightLocation,
  slot: Slot,
  source?: ExternalDataSource,
): Promise<void> {
  const data = await load(slot, source, 'bias');
  const bias: FloatBuffer = { data, dtype: mergeDtype(slot.original, 'bias') };
  const context: MergeContext = {
    location,
    fanInFanOut: location.op !== 'Gather' && location.layout === 'in_out',
  };
  if (target.biasDelta) addValues(bias, target.biasDelta);
  else if (target.replaceBias) addValues(bias, target.replaceBias, { replace: true });
  else if (target.mergeBias)
    await callback(target.module, () => (target.mergeBias as BiasMergeFn)(bias, context));
}

function opt(transposed: { rows: number; cols: number } | undefined): {
  transposed?: { rows: number; cols: number };
} {
  return transposed ? { transposed } : {};
}

async function callback(module: string, run: () => void | Promise<void>): Promise<void> {
  try {
    await run();
  } catch (cause) {
    throw new OnnxError('MERGE_FAILED', `Merging into module "${module}" failed: ${String(cause)}`, {
      cause,
      value: module,
    });
  }
}

/**
 * Bakes adapter changes into a model's weights (PEFT's merged mode): each module's weight is located
 * (`WeightLocator`), then changed by a delta, a kernels-style callback or replacement values, in float32 and
 * rounded once to the initializer's type (FLOAT, FLOAT16, BFLOAT16). A weight that other modules or nodes also
 * read (tied or deduplicated) is copied first and only this module's nodes are rewired to the copy.
 *
 * Everything is computed before the model is touched: when any target fails, the model is unchanged. Changed
 * tensors become inline `raw_data`; write large models with `writeModel` / `saveModel` and an external layout.
 *
 * @param model - the model (changed in place)
 * @param targets - the modules and what to merge into each (several targets may name one module: applied in order)
 * @param options - external data source and base checkpoint (for locating by value)
 * @returns what was done per module, in target order (one entry per distinct module)
 * @throws {OnnxError} `TARGET_NOT_FOUND`, `AMBIGUOUS_TARGET`, `INVALID_ARGUMENT`, `UNSUPPORTED_DATA_TYPE`,
 *   `MERGE_FAILED` (a callback threw; `cause` holds its error)
 * @example
 * ```ts
 * import { mergeLora } from '@peftjs/kernels';
 * await mergeIntoModel(model, [{
 *   module: 'model.decoder.layers.0.self_attn.q_proj',
 *   merge: (w, { fanInFanOut }) => mergeLora(w, { a, b, rank: 8, inFeatures: 768, outFeatures: 768, scaling: 2, fanInFanOut }),
 * }], { source });
 * ```
 */
export async function mergeIntoModel(
  model: ModelProto,
  targets: readonly MergeTarget[],
  options: MergeIntoModelOptions = {},
): Promise<MergedModule[]> {
  const locator = new WeightLocator(model, options);
  const modules = [...new Set(targets.map((t) => t.module))];
  const requests = modules.map((module): LocateRequest => {
    const kind = targets.find((t) => t.module === module && t.kind)?.kind;
    return kind ? { module, kind } : { module };
  });
  const located = await locator.locateAll(requests);
  const locations = new Map(modules.map((m, i) => [m, located[i] as WeightLocation]));
  for (const target of targets) check(target, locations.get(target.module) as WeightLocation);
  const editor = new GraphEditor(model);
  const wantsBias = new Set(
    targets.filter((t) => t.biasDelta || t.mergeBias || t.replaceBias).map((t) => t.module),
  );
  const plan = planOwnership(editor.index, [...locations.values()], wantsBias);
  for (const target of targets) {
    const location = locations.get(target.module) as WeightLocation;
    if (target.delta || target.merge || target.replaceWeight) {
      await applyWeight(target, location, plan.weights.get(target.module) as Slot, options.source);
    }
    if (wantsBias.has(target.module) && (target.biasDelta || target.mergeBias || target.replaceBias)) {
      await applyBias(target, location, plan.biases.get(target.module) as Slot, options.source);
    }
  }
  // every value is computed: now change the model
  const written = plan.commit(editor, (slot: Slot, tensor: TensorProto) => {
    if (slot.values) setTensorData(tensor, bytesOf(slot.values));
  });
  return modules.map((module) => {
    const weight = written.weights.get(module) as { initializer: string; copied: boolean };
    const bias = written.biases.get(module);
    return {
      module,
      location: locations.get(module) as WeightLocation,
      ...weight,
      ...(bias ? { bias } : {}),
    };
  });
}
