import { PEFT_VERSION } from './peft-types.js';
import type {
  AdaLoraConfig,
  CordaConfig,
  EvaConfig,
  IA3Config,
  KasaConfig,
  LoftQConfig,
  LoraConfig,
  MontecloraConfig,
  PeftConfigBase,
  VeloraConfig,
} from './types.js';

/** PEFT's defaults for the fields every config has (`peft_version` is the version that writes the file). */
const BASE_DEFAULTS: PeftConfigBase = {
  task_type: null,
  auto_mapping: null,
  peft_version: PEFT_VERSION,
  base_model_name_or_path: null,
  revision: null,
  inference_mode: false,
};

/** `LoraConfig()` in PEFT 0.21, field by field, as `to_dict()` gives it. */
export const LORA_DEFAULTS: Readonly<LoraConfig> = {
  ...BASE_DEFAULTS,
  peft_type: 'LORA',
  r: 8,
  target_modules: null,
  exclude_modules: null,
  lora_alpha: 8,
  lora_dropout: 0,
  fan_in_fan_out: false,
  bias: 'none',
  use_rslora: false,
  modules_to_save: null,
  init_lora_weights: true,
  layers_to_transform: null,
  layers_pattern: null,
  rank_pattern: {},
  alpha_pattern: {},
  megatron_config: null,
  megatron_core: 'megatron.core',
  trainable_token_indices: null,
  loftq_config: {},
  eva_config: null,
  corda_config: null,
  lora_ga_config: null,
  use_dora: false,
  velora_config: null,
  alora_invocation_tokens: null,
  use_qalora: false,
  qalora_group_size: 16,
  monteclora_config: null,
  layer_replication: null,
  lora_bias: false,
  target_parameters: null,
  use_bdlora: null,
  arrow_config: null,
  kasa_config: null,
  ensure_weight_tying: false,
};

/** `AdaLoraConfig()` in PEFT 0.21 (its `total_step` default, null, is refused by PEFT when building a config). */
export const ADALORA_DEFAULTS: Readonly<AdaLoraConfig> = {
  ...LORA_DEFAULTS,
  peft_type: 'ADALORA',
  rank_pattern: null,
  target_r: 8,
  init_r: 12,
  tinit: 0,
  tfinal: 0,
  deltaT: 1,
  beta1: 0.85,
  beta2: 0.85,
  orth_reg_weight: 0.5,
  total_step: null,
};

/** `IA3Config()` in PEFT 0.21. */
export const IA3_DEFAULTS: Readonly<IA3Config> = {
  ...BASE_DEFAULTS,
  peft_type: 'IA3',
  target_modules: null,
  exclude_modules: null,
  feedforward_modules: null,
  fan_in_fan_out: false,
  modules_to_save: null,
  init_ia3_weights: true,
};

/** `LoftQConfig()` defaults. */
export const LOFTQ_DEFAULTS: Readonly<LoftQConfig> = { loftq_bits: 4, loftq_iter: 1 };

/** `EvaConfig()` defaults (filled in by PEFT when `init_lora_weights="eva"` and no `eva_config` is given). */
export const EVA_DEFAULTS: Readonly<EvaConfig> = {
  rho: 2,
  tau: 0.99,
  use_label_mask: true,
  label_mask_value: -100,
  whiten: false,
  adjust_scaling_factors: true,
};

/** `CordaConfig()` defaults (filled in by PEFT when `init_lora_weights="corda"` and no `corda_config` is given). */
export const CORDA_DEFAULTS: Readonly<CordaConfig> = {
  cache_file: null,
  covariance_file: null,
  corda_method: 'ipm',
  verbose: false,
  use_float16_for_covariance: false,
  prune_temporary_fields: true,
};

/** `VeloraConfig()` defaults. */
export const VELORA_DEFAULTS: Readonly<VeloraConfig> = {
  num_groups: 64,
  scale: 1,
  init_type: 'batch_average',
};

/** `MontecloraConfig()` defaults. */
export const MONTECLORA_DEFAULTS: Readonly<MontecloraConfig> = {
  num_samples: 8,
  use_entropy: false,
  dirichlet_prior: 0.1,
  sample_scaler: 1e-4,
  kl_loss_weight: 1e-5,
  buffer_size: 150,
};

/** `KasaConfig()` defaults. */
export const KASA_DEFAULTS: Readonly<KasaConfig> = { beta: 1e-4, gamma: 1e-3 };

/**
 * JSON pointers of the fields PEFT declares as `float`: an integral value there is written `0.0`, not `0`,
 * unless the config records otherwise. Every other integral number is written as an int.
 */
export const FLOAT_FIELDS: ReadonlySet<string> = new Set([
  '/lora_dropout',
  '/beta1',
  '/beta2',
  '/orth_reg_weight',
  '/eva_config/rho',
  '/eva_config/tau',
  '/velora_config/scale',
  '/arrow_config/router_temperature',
  '/kasa_config/beta',
  '/kasa_config/gamma',
  '/monteclora_config/dirichlet_prior',
  '/monteclora_config/sample_scaler',
  '/monteclora_config/kl_loss_weight',
]);

/**
 * PEFT's defaults for a supported type.
 *
 * @param peftType - `LORA`, `IA3` or `ADALORA`
 * @returns the defaults object (shared; copy it before changing it)
 */
export function defaultsOf(
  peftType: 'LORA' | 'IA3' | 'ADALORA',
): Readonly<LoraConfig | IA3Config | AdaLoraConfig> {
  return peftType === 'LORA' ? LORA_DEFAULTS : peftType === 'IA3' ? IA3_DEFAULTS : ADALORA_DEFAULTS;
}
