/**
 * PEFT 0.21's `__post_init__` checks and rewrites for LoRA, AdaLoRA (`tuners/{lora,adalora}/config.py`) and
 * IA3 (`tuners/ia3/config.py`), in PEFT's order, on a config whose field types are already checked. @internal
 */
import { CORDA_DEFAULTS, EVA_DEFAULTS } from './defaults.js';
import { ConfigError, show } from './errors.js';
import { fieldError, truthy } from './field-checks.js';
import type { NormalizeMode } from './normalize-config.js';
import type { ConfigWarning } from './types.js';

type Fields = Record<string, unknown>;

/** Python `set(list)`: drops duplicates, keeping the first of each (PEFT stores these lists as sets). */
function dedupe(value: unknown): unknown {
  return Array.isArray(value) ? [...new Set(value)] : value;
}

/**
 * LoRA and AdaLoRA `__post_init__`.
 *
 * @param c - the config fields (changed in place)
 * @param peftType - `LORA` or `ADALORA`
 * @param mode - `file` accepts AdaLoRA `total_step: null` with a warning
 * @param warn - receives the warnings PEFT would issue
 */
export function checkLoraFamily(
  c: Fields,
  peftType: 'LORA' | 'ADALORA',
  mode: NormalizeMode,
  warn: (w: ConfigWarning) => void,
): void {
  c.target_modules = dedupe(c.target_modules);
  c.exclude_modules = dedupe(c.exclude_modules);

  if (typeof c.target_modules === 'string') {
    for (const field of ['layers_to_transform', 'layers_pattern']) {
      if (c[field] !== null) {
        throw fieldError(
          'LAYERS_WITH_REGEX_TARGET',
          `/${field}`,
          c[field],
          `cannot be used when \`target_modules\` is a str (${show(c.target_modules)})`,
        );
      }
    }
  }
  if (truthy(c.layers_pattern) && c.layers_to_transform === null) {
    throw fieldError(
      'LAYERS_PATTERN_WITHOUT_LAYERS',
      '/layers_pattern',
      c.layers_pattern,
      'requires `layers_to_transform` to be specified too',
    );
  }
  if (c.use_dora === true && truthy(c.megatron_config)) {
    throw incompatible('use_dora', 'DoRA does not support megatron_core, please set `use_dora=False`.');
  }

  const init = c.init_lora_weights;
  if (init === 'loftq') {
    if (!truthy(c.loftq_config)) {
      throw fieldError(
        'MISSING_LOFTQ_CONFIG',
        '/loftq_config',
        c.loftq_config,
        'must be given when `init_lora_weights` is "loftq"',
      );
    }
  } else if (truthy(c.loftq_config)) {
    c.loftq_config = {};
    warn(
      peftWarning(
        'LOFTQ_CONFIG_IGNORED',
        "`loftq_config` specified but will be ignored when `init_lora_weights` is not 'loftq'.",
      ),
    );
  } else if (init === 'eva' && c.eva_config === null) {
    c.eva_config = { ...EVA_DEFAULTS };
    warn(
      peftWarning(
        'EVA_CONFIG_DEFAULTED',
        "`init_lora_weights` is 'eva' but `eva_config` is not specified. Using default EVA config.",
      ),
    );
  } else if (init !== 'eva' && c.eva_config !== null) {
    warn(
      peftWarning(
        'EVA_CONFIG_IGNORED',
        "`eva_config` specified but will be ignored when `init_lora_weights` is not 'eva'.",
      ),
    );
  } else if (init === 'corda' && c.corda_config === null) {
    c.corda_config = { ...CORDA_DEFAULTS };
    warn(
      peftWarning(
        'CORDA_CONFIG_DEFAULTED',
        "`init_lora_weights` is 'corda' but `corda_config` is not specified. Using default CorDA config.",
      ),
    );
  } else if (init !== 'corda' && c.corda_config !== null) {
    warn(
      peftWarning(
        'CORDA_CONFIG_IGNORED',
        "`corda_config` specified but will be ignored when `init_lora_weights` is not 'corda'.",
      ),
    );
  }

  if (c.lora_bias === true) {
    if (typeof init !== 'boolean') {
      throw incompatible(
        'lora_bias',
        `The argument lora_bias=True is only supported with init_lora_weights=True or False, got init_lora_weights=${String(init)} instead.`,
      );
    }
    if (c.use_dora === true) {
      throw incompatible(
        'lora_bias',
        'The argument lora_bias=True is not supported for DoRA, please pass use_dora=False',
      );
    }
  }
  if (c.alora_invocation_tokens !== null && c.task_type !== 'CAUSAL_LM') {
    warn(peftWarning('ALORA_NOT_CAUSAL_LM', 'aLoRA is currently only supported for CAUSAL_LM task.'));
  }
  const convertible =
    (typeof init === 'string' && init.startsWith('pissa')) ||
    init === 'olora' ||
    init === 'corda' ||
    init === 'lora_ga';
  if (c.use_rslora === true && (truthy(c.rank_pattern) || truthy(c.alpha_pattern)) && convertible) {
    warn(
      peftWarning(
        'RSLORA_PATTERNS_NO_CONVERSION',
        'Using Rank-Stabilized LoRA with rank_pattern/alpha_pattern and post-training conversion of modified base ' +
          "weights PiSSA/CorDA/OLoRA/LoRA-GA means that you won't be able to pass " +
          '`path_initial_model_for_weight_conversion` to `save_pretrained` to restore the initial values of the base weights.',
      ),
    );
  }

  if (peftType === 'ADALORA') checkAdaLora(c, mode, warn);
}

function checkAdaLora(c: Fields, mode: NormalizeMode, warn: (w: ConfigWarning) => void): void {
  if (c.use_dora === true) throw incompatible('use_dora', 'ADALORA does not support DoRA.');
  if (truthy(c.loftq_config)) throw incompatible('loftq_config', 'ADALORA does not support LOFTQ.');
  if (c.r !== 8) {
    warn(
      peftWarning(
        'ADALORA_R_IGNORED',
        'Note that `r` is not used in AdaLora and will be ignored. If you intended to set the initial rank, use `init_r` instead.',
      ),
    );
  }
  const total = c.total_step as number | null;
  if (total === null && mode === 'file') {
    warn({
      code: 'TOTAL_STEP_NULL',
      message:
        'AdaLoRA `total_step` is null (files of PEFT < 0.15). PEFT 0.21 refuses to load this config; peftjs ' +
        'accepts it because `total_step` only matters for training.',
      fields: ['total_step'],
    });
  } else if (total === null || total <= 0) {
    throw fieldError(
      'INVALID_SCHEDULE',
      '/total_step',
      total,
      'AdaLoRA does not work when `total_step` is None, supply a value > 0',
    );
  }
  if ((c.orth_reg_weight as number) < 0) {
    throw fieldError(
      'INVALID_VALUE',
      '/orth_reg_weight',
      c.orth_reg_weight,
      'should be greater than or equal to 0',
    );
  }
  if (total !== null && (c.tinit as number) >= total - (c.tfinal as number)) {
    throw fieldError(
      'INVALID_SCHEDULE',
      '/tinit',
      c.tinit,
      `leaves no budgeting phase (tinit >= total_step - tfinal = ${total} - ${String(c.tfinal)}); decrease \`tfinal\`/\`tinit\` or increase \`total_step\``,
    );
  }
}

/**
 * IA3 `__post_init__`: lists become sets, and `feedforward_modules` must be a subset of `target_modules`.
 *
 * @param c - the config fields (changed in place)
 */
export function checkIA3(c: Fields): void {
  c.target_modules = dedupe(c.target_modules);
  c.exclude_modules = dedupe(c.exclude_modules);
  c.feedforward_modules = dedupe(c.feedforward_modules);
  const ff = c.feedforward_modules;
  const targets = c.target_modules;
  if (Array.isArray(ff) && Array.isArray(targets)) {
    const missing = ff.filter((m) => !targets.includes(m));
    if (missing.length > 0) {
      throw fieldError(
        'FEEDFORWARD_NOT_SUBSET',
        '/feedforward_modules',
        ff,
        `should be a subset of \`target_modules\` (${show(targets)}); not in it: ${show(missing)}`,
      );
    }
  }
}

function incompatible(field: string, message: string): ConfigError {
  return new ConfigError('INCOMPATIBLE_OPTIONS', message, { field });
}

function peftWarning(code: string, message: string): ConfigWarning {
  return { code, message };
}
