import type { SupportedPeftType, TaskType } from './peft-types.js';
import type { JsonObject, NumberKind } from './python-json.js';

/**
 * Key of the side record a config carries about its JSON spelling ({@link PythonJsonExtras}). A symbol, so it
 * never clashes with a PEFT field, is skipped by `JSON.stringify` and `Object.keys`, and survives `{ ...config }`.
 */
export const PYTHON_JSON: unique symbol = Symbol.for('@peftjs/config.python-json');

/** What a parsed config remembers about its file beyond the typed fields, so saving it reproduces the file. */
export interface PythonJsonExtras {
  /** Top-level keys PEFT 0.21 does not know (written by a newer PEFT), kept verbatim and written back on save. */
  readonly unknownFields: Readonly<JsonObject>;
  /**
   * Spellings of integral numbers that differ from the field's usual one, by JSON pointer: e.g.
   * `{"/lora_alpha": "float"}` for `"lora_alpha": 16.0`, `{"/lora_dropout": "int"}` for `"lora_dropout": 0`.
   */
  readonly numberKinds: Readonly<Record<string, NumberKind>>;
}

/** A list of module names (exact name or `.name` suffix), a Python regex (full match), or null. */
export type ModuleSelector = string[] | string | null;

/** Fields every PEFT config has (`PeftConfig`). */
export interface PeftConfigBase {
  /** The task; decides the task class (and its `modules_to_save`) PEFT wraps the model in. */
  task_type: TaskType | null;
  /** `{"base_model_class", "parent_library"}`, written by PEFT only when `task_type` is null. */
  auto_mapping: JsonObject | null;
  /** The PEFT version that wrote the file (PEFT ≥ 0.18; older files get the loading version). */
  peft_version: string;
  /** Hub id or path of the base model. */
  base_model_name_or_path: string | null;
  /** Revision of the base model. */
  revision: string | null;
  /** True in files written by `PeftModel.save_pretrained`. */
  inference_mode: boolean;
  /** The file's unknown keys and number spellings; absent on configs built in JS. */
  [PYTHON_JSON]?: PythonJsonExtras;
}

/** LoftQ initialisation settings (`LoftQConfig`; kept as a plain dict by PEFT). */
export interface LoftQConfig {
  loftq_bits: number;
  loftq_iter: number;
}

/** EVA initialisation settings (`EvaConfig`; kept as a plain dict when loaded from a file). */
export interface EvaConfig {
  rho: number;
  tau: number;
  use_label_mask: boolean;
  label_mask_value: number;
  whiten: boolean;
  adjust_scaling_factors: boolean;
}

/** CorDA initialisation settings (`CordaConfig`; kept as a plain dict when loaded from a file). */
export interface CordaConfig {
  cache_file: string | null;
  covariance_file: string | null;
  corda_method: 'ipm' | 'kpm';
  verbose: boolean;
  use_float16_for_covariance: boolean;
  prune_temporary_fields: boolean;
}

/** LoRA-GA initialisation settings (`LoraGAConfig`, PEFT ≥ 0.19). */
export interface LoraGAConfig {
  direction: 'ArBr' | 'A2rBr' | 'ArB2r' | 'random';
  scale: 'stable' | 'weight_svd' | 'gd_scale' | 'unit';
  stable_gamma: number;
}

/** VeLoRA settings (`VeloraConfig`, PEFT ≥ 0.20; PEFT rebuilds it from the dict, so all fields are present). */
export interface VeloraConfig {
  num_groups: number;
  scale: number;
  init_type: 'batch_average' | 'batch_average_once' | 'random';
}

/** MonteCLoRA settings (`MontecloraConfig`, PEFT ≥ 0.20; rebuilt from the dict, all fields present). */
export interface MontecloraConfig {
  num_samples: number;
  use_entropy: boolean;
  dirichlet_prior: number;
  sample_scaler: number;
  kl_loss_weight: number;
  buffer_size: number;
}

/** KaSA settings (`KasaConfig`; rebuilt from the dict, all fields present). */
export interface KasaConfig {
  beta: number;
  gamma: number;
}

/** Block-diagonal LoRA settings (`BdLoraConfig`, PEFT ≥ 0.19; kept as a plain dict). */
export interface BdLoraConfig {
  target_modules_bd_a: string[] | null;
  target_modules_bd_b: string[] | null;
  nblocks: number;
  match_strict: boolean;
}

/** Arrow routing settings (`ArrowConfig`, PEFT ≥ 0.18; kept as a plain dict). */
export interface ArrowConfig {
  top_k: number;
  router_temperature: number;
  use_gks: boolean;
  task_adapter_names: string[] | null;
  gks_adapter_names: string[] | null;
  rng_seed: number | null;
}

/** Fields LoRA and AdaLoRA share (`LoraConfig`, PEFT 0.21). Meanings: peft-behaviour.md §1.3. */
export interface LoraFamilyFields extends PeftConfigBase {
  r: number;
  target_modules: ModuleSelector;
  exclude_modules: ModuleSelector;
  lora_alpha: number;
  lora_dropout: number;
  fan_in_fan_out: boolean;
  bias: 'none' | 'all' | 'lora_only';
  use_rslora: boolean;
  modules_to_save: string[] | null;
  init_lora_weights: boolean | string;
  layers_to_transform: number | number[] | null;
  layers_pattern: string | string[] | null;
  alpha_pattern: Record<string, number> | null;
  megatron_config: JsonObject | null;
  megatron_core: string | null;
  trainable_token_indices: number[] | Record<string, number[]> | null;
  loftq_config: Partial<LoftQConfig> | null;
  eva_config: Partial<EvaConfig> | null;
  corda_config: Partial<CordaConfig> | null;
  lora_ga_config: Partial<LoraGAConfig> | null;
  use_dora: boolean;
  velora_config: VeloraConfig | null;
  alora_invocation_tokens: number[] | null;
  use_qalora: boolean;
  qalora_group_size: number;
  monteclora_config: MontecloraConfig | null;
  layer_replication: [number, number][] | null;
  lora_bias: boolean;
  target_parameters: string[] | null;
  use_bdlora: Partial<BdLoraConfig> | null;
  arrow_config: Partial<ArrowConfig> | null;
  kasa_config: KasaConfig | null;
  ensure_weight_tying: boolean;
}

/** A LoRA adapter config (`LoraConfig`). */
export interface LoraConfig extends LoraFamilyFields {
  peft_type: 'LORA';
  /** Regex key → rank for matching modules (`get_pattern_key`). */
  rank_pattern: Record<string, number> | null;
}

/** An AdaLoRA adapter config (`AdaLoraConfig`): every LoRA field plus the rank-allocation schedule. */
export interface AdaLoraConfig extends LoraFamilyFields {
  peft_type: 'ADALORA';
  /** Module (`<name>.lora_E`) → kept-rank mask, written after training. */
  rank_pattern: Record<string, boolean[]> | null;
  target_r: number;
  init_r: number;
  tinit: number;
  tfinal: number;
  deltaT: number;
  beta1: number;
  beta2: number;
  orth_reg_weight: number;
  /** Total training steps; null in files of PEFT < 0.15 (accepted with a warning, PEFT 0.21 refuses it). */
  total_step: number | null;
}

/** An (IA)³ adapter config (`IA3Config`). */
export interface IA3Config extends PeftConfigBase {
  peft_type: 'IA3';
  target_modules: ModuleSelector;
  exclude_modules: ModuleSelector;
  /** Modules whose input (not output) is scaled; must be a subset of `target_modules` when both are lists. */
  feedforward_modules: ModuleSelector;
  fan_in_fan_out: boolean;
  modules_to_save: string[] | null;
  init_ia3_weights: boolean;
}

/** Any config peftjs supports, discriminated by `peft_type`. */
export type AdapterConfig = LoraConfig | AdaLoraConfig | IA3Config;

/** The config type for a PEFT type. */
export type ConfigOf<T extends SupportedPeftType> = Extract<AdapterConfig, { peft_type: T }>;

/** A non-fatal finding while reading or building a config (PEFT would `warnings.warn` most of them). */
export interface ConfigWarning {
  /** Stable code, e.g. `UNKNOWN_FIELDS`, `RUNTIME_CONFIG_DROPPED`, `TOTAL_STEP_NULL`. */
  code: string;
  /** What was found and what peftjs did about it. */
  message: string;
  /** The fields concerned, where the warning is about some (sorted for `UNKNOWN_FIELDS`). */
  fields?: string[];
}
