import type { ModuleSelector, SupportedPeftType, TaskType } from '@peftjs/config';
import type { Adapter } from './adapter.js';
import type { AdapterReplacement } from './adapter-layer.js';
import { numel } from './adapter-tensor.js';
import { adapterParameters, layerParameters } from './trainable-parameters.js';

/** One targeted module in an {@link AdapterSummary}. */
export interface ModuleSummary {
  /** Dotted module name in the task model. */
  readonly module: string;
  /** `'lora'`, `'lora-embedding'` or `'ia3'`. */
  readonly kind: 'lora' | 'lora-embedding' | 'ia3';
  /** LoRA family: r (AdaLoRA: ranks kept by rank_pattern). */
  readonly rank?: number;
  /** LoRA family: lora_alpha (alpha_pattern applied). */
  readonly alpha?: number;
  /** LoRA family: ΔW = scaling · B·A (AdaLoRA, in LoRA form: `lora_alpha / (init_r + 1e-5)`). */
  readonly scaling?: number;
  /** AdaLoRA: init_r (ranknum). */
  readonly initRank?: number;
  /** DoRA (`lora_magnitude_vector` present). */
  readonly dora: boolean;
  /** `lora_B.bias` present. */
  readonly loraBias: boolean;
  /** IA3: whether the vector scales the module's input. */
  readonly feedforward?: boolean;
  /** `[in, out]` for LoRA (embeddings: `[vocab, dim]`), `[size]` for IA3. */
  readonly features: readonly number[];
  /** Parameters PEFT counts for this module while training. */
  readonly parameters: number;
}

/** A pure description of an adapter: what it targets and how big it is. */
export interface AdapterSummary {
  /** `LORA`, `ADALORA` or `IA3`. */
  readonly peftType: SupportedPeftType;
  /** `CAUSAL_LM`, `SEQ_CLS`, … or null. */
  readonly taskType: TaskType | null;
  /** `base_model_name_or_path` from the config. */
  readonly baseModel: string | null;
  /** The PEFT version that wrote the config. */
  readonly peftVersion: string;
  /** `target_modules` as configured. */
  readonly targetModules: ModuleSelector;
  /** Variant flags: `dora`, `rslora`, `loraBias`, `bias` option. */
  readonly features: {
    readonly dora: boolean;
    readonly rslora: boolean;
    readonly loraBias: boolean;
    readonly bias: 'none' | 'all' | 'lora_only';
  };
  /** One entry per targeted module, in file order. */
  readonly modules: readonly ModuleSummary[];
  /** Base tensors the adapter replaces (`modules_to_save`, trained biases, saved embeddings). */
  readonly replacements: readonly {
    readonly name: string;
    readonly reason: AdapterReplacement['reason'];
    readonly shape: readonly number[];
  }[];
  /** Trainable parameters PEFT counts for the adapter alone (tuner tensors at training ranks + module copies). */
  readonly trainableParameters: number;
  /** Values stored in the adapter's weights file. */
  readonly storedValues: number;
  /** Size of the stored tensors in bytes (the file adds a small header). */
  readonly bytes: number;
  /** Stored tensors per dtype. */
  readonly dtypes: Readonly<Record<string, number>>;
  /** Config warnings PEFT would print. */
  readonly warnings: readonly string[];
}

/**
 * Summarises an adapter without a base model: type, task, targets, per-module rank / alpha / scaling, parameter
 * count and size.
 *
 * @param adapter - a loaded adapter
 * @returns the summary (plain data, JSON-serializable)
 * @example
 * ```ts
 * const s = inspectAdapter(adapter);
 * console.log(s.peftType, s.modules.length, s.trainableParameters, s.bytes);
 * ```
 */
export function inspectAdapter(adapter: Adapter): AdapterSummary {
  const { config } = adapter;
  const lora = config.peft_type === 'IA3' ? undefined : config;
  const modules: ModuleSummary[] = adapter.layers.map((layer) => {
    if (layer.kind === 'ia3') {
      return {
        module: layer.module,
        kind: 'ia3',
        dora: false,
        loraBias: false,
        feedforward: layer.isFeedforward,
        features: [layer.size],
        parameters: layerParameters(layer),
      };
    }
    return {
      module: layer.module,
      kind: layer.kind,
      rank: layer.rank,
      alpha: layer.alpha,
      scaling: layer.scaling,
      ...(layer.adalora ? { initRank: layer.adalora.initR } : {}),
      dora: layer.magnitude !== undefined,
      loraBias: layer.loraBias !== undefined,
      features: [layer.inFeatures, layer.outFeatures],
      parameters: layerParameters(layer),
    };
  });
  let storedValues = 0;
  let bytes = 0;
  const dtypes: Record<string, number> = {};
  for (const t of adapter.tensors.values()) {
    storedValues += numel(t.shape);
    bytes += t.byteLength;
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  }
  return {
    peftType: config.peft_type,
    taskType: config.task_type,
    baseModel: config.base_model_name_or_path,
    peftVersion: config.peft_version,
    targetModules: config.target_modules,
    features: {
      dora: lora?.use_dora ?? false,
      rslora: lora?.use_rslora ?? false,
      loraBias: lora?.lora_bias ?? false,
      bias: lora?.bias ?? 'none',
    },
    modules,
    replacements: adapter.replacements.map((r) => ({
      name: r.name,
      reason: r.reason,
      shape: r.tensor.shape,
    })),
    trainableParameters: adapterParameters(adapter).trainable,
    storedValues,
    bytes,
    dtypes,
    warnings: adapter.warnings.map((w) => w.message),
  };
}
