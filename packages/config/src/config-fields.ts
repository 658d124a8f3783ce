/** The fields of each config type with their checks (PEFT 0.21's dataclass fields and their types). @internal */
import {
  bool,
  type Check,
  check,
  fieldError,
  int,
  jsonObject,
  listOf,
  nullable,
  number,
  objectWith,
  oneOf,
  recordOf,
  scalarOrList,
  string,
} from './field-checks.js';
import { TASK_TYPES } from './peft-types.js';

/** A number in [0, 1] (`nn.Dropout` refuses anything else). */
const probability = check('a number between 0 and 1', (v, p, ctx) => {
  const x = number(v, p, ctx);
  if (!(x >= 0 && x <= 1)) throw fieldError('INVALID_VALUE', p, v, 'must be a number between 0 and 1');
  return x;
});

/** A number > 0. */
const positive = check('a number > 0', (v, p, ctx) => {
  const x = number(v, p, ctx);
  if (!(x > 0)) throw fieldError('INVALID_VALUE', p, v, 'must be > 0');
  return x;
});

/** A number >= 0. */
const nonNegative = check('a number >= 0', (v, p, ctx) => {
  const x = number(v, p, ctx);
  if (!(x >= 0)) throw fieldError('INVALID_VALUE', p, v, 'must be >= 0');
  return x;
});

/** `target_modules` / `exclude_modules` / `feedforward_modules`: a list of names, a regex, or null. */
export const moduleSelector = nullable(scalarOrList(string, listOf(string)));

const strings = nullable(listOf(string));
const ints = nullable(listOf(int()));

/** Strings PEFT 0.21's LoRA layers accept for `init_lora_weights` (`lora/layer.py` update_layer / reset). */
export function isKnownInitLoraWeights(v: string): boolean {
  return (
    /^(gaussian|olora|mica)$/i.test(v) ||
    /^pissa(_niter_\d+)?$/.test(v) ||
    ['corda', 'loftq', 'eva', 'orthogonal', 'lora_ga'].includes(v)
  );
}

const initLoraWeights = check('true, false or a known initialisation name', (v, p) => {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') throw fieldError('INVALID_TYPE', p, v, 'must be a boolean or a string');
  if (!isKnownInitLoraWeights(v)) {
    throw fieldError(
      'INVALID_INIT_LORA_WEIGHTS',
      p,
      v,
      'must be true, false, "gaussian", "eva", "olora", "pissa", "pissa_niter_<n>", "corda", "loftq", ' +
        '"orthogonal", "mica" or "lora_ga"',
    );
  }
  return v;
});

/** `layer_replication`: a list of `[start, end)` pairs. */
const layerReplication = nullable(
  listOf(
    check('a pair of integers', (v, p, ctx) => {
      const pair = listOf(int())(v, p, ctx);
      if (pair.length !== 2) throw fieldError('INVALID_VALUE', p, v, 'must be a [start, end] pair');
      return pair;
    }),
  ),
);

/** Fields of every PEFT config. */
export const BASE_FIELDS: Record<string, Check<unknown>> = {
  task_type: nullable(oneOf(TASK_TYPES, 'INVALID_TASK_TYPE')),
  peft_type: string,
  auto_mapping: nullable(jsonObject),
  peft_version: nullable(string),
  base_model_name_or_path: nullable(string),
  revision: nullable(string),
  inference_mode: bool,
};

/** Fields of `LoraConfig` (AdaLoRA shares them, with its own `rank_pattern` and `r`). */
export const LORA_FIELDS: Record<string, Check<unknown>> = {
  ...BASE_FIELDS,
  r: int(1),
  target_modules: moduleSelector,
  exclude_modules: moduleSelector,
  lora_alpha: number,
  lora_dropout: probability,
  fan_in_fan_out: bool,
  bias: oneOf(['none', 'all', 'lora_only'], 'INVALID_BIAS'),
  use_rslora: bool,
  modules_to_save: strings,
  init_lora_weights: initLoraWeights,
  layers_to_transform: nullable(scalarOrList(int(), listOf(int()))),
  layers_pattern: nullable(scalarOrList(string, listOf(string))),
  rank_pattern: nullable(recordOf(int(1))),
  alpha_pattern: nullable(recordOf(number)),
  megatron_config: nullable(jsonObject),
  megatron_core: nullable(string),
  trainable_token_indices: nullable(
    check('a list of integers or an object of integer lists', (v, p, ctx) =>
      Array.isArray(v) ? listOf(int())(v, p, ctx) : recordOf(listOf(int()))(v, p, ctx),
    ),
  ),
  loftq_config: nullable(objectWith({ loftq_bits: int(), loftq_iter: int() })),
  eva_config: nullable(
    objectWith({
      rho: number,
      tau: number,
      use_label_mask: bool,
      label_mask_value: int(),
      whiten: bool,
      adjust_scaling_factors: bool,
    }),
  ),
  corda_config: nullable(
    objectWith({
      cache_file: nullable(string),
      covariance_file: nullable(string),
      corda_method: oneOf(['ipm', 'kpm']),
      verbose: bool,
      use_float16_for_covariance: bool,
      prune_temporary_fields: bool,
    }),
  ),
  lora_ga_config: nullable(
    objectWith({
      direction: oneOf(['ArBr', 'A2rBr', 'ArB2r', 'random']),
      scale: oneOf(['stable', 'weight_svd', 'gd_scale', 'unit']),
      stable_gamma: int(),
    }),
  ),
  use_dora: bool,
  velora_config: nullable(
    objectWith({
      num_groups: int(1),
      scale: positive,
      init_type: oneOf(['batch_average', 'batch_average_once', 'random']),
    }),
  ),
  alora_invocation_tokens: ints,
  use_qalora: bool,
  qalora_group_size: int(),
  monteclora_config: nullable(
    objectWith({
      num_samples: int(1),
      use_entropy: bool,
      dirichlet_prior: positive,
      sample_scaler: number,
      kl_loss_weight: number,
      buffer_size: int(1),
    }),
  ),
  layer_replication: layerReplication,
  lora_bias: bool,
  target_parameters: strings,
  use_bdlora: nullable(
    objectWith({
      target_modules_bd_a: strings,
      target_modules_bd_b: strings,
      nblocks: int(),
      match_strict: bool,
    }),
  ),
  arrow_config: nullable(
    objectWith({
      top_k: int(),
      router_temperature: number,
      use_gks: bool,
      task_adapter_names: strings,
      gks_adapter_names: strings,
      rng_seed: nullable(int()),
    }),
  ),
  kasa_config: nullable(objectWith({ beta: nonNegative, gamma: nonNegative })),
  ensure_weight_tying: bool,
};

/** Fields of `AdaLoraConfig`. */
export const ADALORA_FIELDS: Record<string, Check<unknown>> = {
  ...LORA_FIELDS,
  r: int(0),
  rank_pattern: nullable(recordOf(listOf(bool))),
  target_r: int(0),
  init_r: int(0),
  tinit: int(),
  tfinal: int(),
  deltaT: int(1),
  beta1: number,
  beta2: number,
  orth_reg_weight: number,
  total_step: nullable(int()),
};

/** Fields of `IA3Config`. */
export const IA3_FIELDS: Record<string, Check<unknown>> = {
  ...BASE_FIELDS,
  target_modules: moduleSelector,
  exclude_modules: moduleSelector,
  feedforward_modules: moduleSelector,
  fan_in_fan_out: bool,
  modules_to_save: strings,
  init_ia3_weights: bool,
};
