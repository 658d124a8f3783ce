import {
  type AdapterConfig,
  type ConfigWarning,
  parseAdapterConfig,
  type SupportedPeftType,
  type TaskType,
} from '@peftjs/config';
import type { TensorInput } from '@peftjs/safetensors';
import type { AdapterLayer, AdapterReplacement } from './adapter-layer.js';
import { type AdapterTensor, memoryTensor } from './adapter-tensor.js';
import { buildLayers } from './build-layers.js';
import { wrapError } from './errors.js';

/** Where an adapter's tensors came from. */
export type AdapterFormat = 'safetensors' | 'bin' | 'memory';

/** What {@link Adapter.create} needs. */
export interface AdapterInit {
  /** The config: parsed, or `adapter_config.json`'s text / object. */
  readonly config: AdapterConfig | string | object;
  /** The saved tensors by key (`base_model.model.…`), as {@link AdapterTensor}s or raw `{ dtype, shape, data }`. */
  readonly tensors:
    | ReadonlyMap<string, AdapterTensor | TensorInput>
    | Readonly<Record<string, AdapterTensor | TensorInput>>;
  /** Where the tensors came from. @defaultValue 'memory' */
  readonly format?: AdapterFormat;
  /** Releases the files behind lazy tensors; {@link Adapter.close} calls it. */
  readonly close?: () => Promise<void>;
  /** Config warnings to keep (when `config` was parsed already). */
  readonly warnings?: readonly ConfigWarning[];
  /**
   * Require each LoRA layer's rank to equal the config's (`rank_pattern` applied), as loading in PEFT does.
   * Combinations turn it off: an svd combination keeps at most min(out, in) ranks on a layer. @defaultValue true
   */
  readonly strictRanks?: boolean;
}

/**
 * One loaded PEFT adapter (LoRA, DoRA, AdaLoRA, IA3): its config and, per targeted module, a layer record, plus
 * the base tensors it replaces (`modules_to_save`, trained biases, saved embeddings). Tensors stay lazy: values
 * are read when a merge or combination needs them.
 *
 * @example
 * ```ts
 * const adapter = Adapter.create({ config: configText, tensors: { 'base_model.model.fc.lora_A.weight': a, ... } });
 * for (const layer of adapter.layers) console.log(layer.module, layer.kind);
 * ```
 */
export class Adapter {
  /** The parsed config (PEFT 0.21's fields and defaults). */
  readonly config: AdapterConfig;
  /** What PEFT would have warned about while loading the config. */
  readonly warnings: readonly ConfigWarning[];
  /** One record per targeted module, in file order. */
  readonly layers: readonly AdapterLayer[];
  /** Base tensors the adapter replaces when loaded. */
  readonly replacements: readonly AdapterReplacement[];
  /** Every saved tensor by its key. */
  readonly tensors: ReadonlyMap<string, AdapterTensor>;
  /** Where the tensors came from. */
  readonly format: AdapterFormat;
  private readonly byModule: Map<string, AdapterLayer>;
  private readonly release: (() => Promise<void>) | undefined;

  private constructor(
    config: AdapterConfig,
    warnings: readonly ConfigWarning[],
    tensors: Map<string, AdapterTensor>,
    format: AdapterFormat,
    release: (() => Promise<void>) | undefined,
    strictRanks: boolean,
  ) {
    this.config = config;
    this.warnings = warnings;
    this.tensors = tensors;
    this.format = format;
    this.release = release;
    const { layers, replacements } = buildLayers(config, tensors, strictRanks);
    this.layers = layers;
    this.replacements = replacements;
    this.byModule = new Map(layers.map((l) => [l.module, l]));
  }

  /**
   * Builds an adapter from a config and its saved tensors.
   *
   * @param init - config, tensors, format
   * @returns the adapter
   * @throws {AdapterError} `INVALID_CONFIG` for a config PEFT rejects; `BAD_ADAPTER` for tensors that do not fit
   *   it; `UNSUPPORTED_FEATURE` for PEFT features peftjs cannot apply
   */
  static create(init: AdapterInit): Adapter {
    let config: AdapterConfig;
    let warnings: readonly ConfigWarning[];
    try {
      // Parsing is idempotent: a parsed config comes back equal, a raw object gets PEFT's defaults and checks.
      ({ config, warnings } = parseAdapterConfig(init.config));
    } catch (error) {
      throw wrapError(error, 'INVALID_CONFIG', 'adapter_config.json is invalid');
    }
    if (init.warnings !== undefined) warnings = init.warnings;
    const entries =
      init.tensors instanceof Map
        ? [...(init.tensors as ReadonlyMap<string, AdapterTensor | TensorInput>)]
        : Object.entries(init.tensors as Record<string, AdapterTensor | TensorInput>);
    const tensors = new Map<string, AdapterTensor>();
    for (const [key, t] of entries) tensors.set(key, 'float32' in t ? t : memoryTensor(key, t));
    return new Adapter(
      config,
      warnings,
      tensors,
      init.format ?? 'memory',
      init.close,
      init.strictRanks ?? true,
    );
  }

  /** `LORA`, `ADALORA` or `IA3`. */
  get peftType(): SupportedPeftType {
    return this.config.peft_type;
  }

  /** The config's `task_type` (`CAUSAL_LM`, `SEQ_CLS`, …) or null. */
  get taskType(): TaskType | null {
    return this.config.task_type;
  }

  /**
   * The layer record of a module.
   *
   * @param module - dotted module name in the task model
   * @returns its record, or undefined when the adapter does not target it
   */
  layer(module: string): AdapterLayer | undefined {
    return this.byModule.get(module);
  }

  /** Releases the files behind lazy tensors (safe to call twice). */
  async close(): Promise<void> {
    await this.release?.();
  }
}
