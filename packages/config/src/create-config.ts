import { normalizeObject } from './parse-adapter-config.js';
import type { AdaLoraConfig, ConfigWarning, IA3Config, LoraConfig } from './types.js';

/** Options of the `create…Config` functions. */
export interface CreateConfigOptions {
  /** Receives what PEFT's constructor would `warnings.warn` (e.g. an ignored `loftq_config`). */
  onWarning?: (warning: ConfigWarning) => void;
}

/** Arguments of {@link createLoraConfig}: any LoraConfig fields; the rest take PEFT's defaults. */
export type LoraConfigInput = Partial<Omit<LoraConfig, 'peft_type'>>;
/** Arguments of {@link createAdaLoraConfig}. */
export type AdaLoraConfigInput = Partial<Omit<AdaLoraConfig, 'peft_type'>>;
/** Arguments of {@link createIA3Config}. */
export type IA3ConfigInput = Partial<Omit<IA3Config, 'peft_type'>>;

function create<T>(peftType: string, fields: object, options: CreateConfigOptions): T {
  const { config, warnings } = normalizeObject({ ...fields, peft_type: peftType }, 'create');
  for (const w of warnings) options.onWarning?.(w);
  return config as T;
}

/**
 * Builds a LoRA config as `LoraConfig(**fields)` does in PEFT 0.21: defaults for what is not given, the same
 * checks and rewrites as its `__post_init__`.
 *
 * @param fields - LoraConfig fields (snake_case, as in PEFT)
 * @param options - `onWarning`
 * @returns the complete config
 * @throws {ConfigError} for an unknown field or an invalid value (codes as for {@link parseAdapterConfig})
 * @example
 * ```ts
 * const config = createLoraConfig({ r: 16, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'], task_type: 'CAUSAL_LM' });
 * ```
 */
export function createLoraConfig(
  fields: LoraConfigInput = {},
  options: CreateConfigOptions = {},
): LoraConfig {
  return create<LoraConfig>('LORA', fields, options);
}

/**
 * Builds an AdaLoRA config as `AdaLoraConfig(**fields)` does; like PEFT 0.21 it requires `total_step > 0`.
 *
 * @param fields - AdaLoraConfig fields
 * @param options - `onWarning`
 * @returns the complete config
 * @throws {ConfigError} `INVALID_SCHEDULE` without a positive `total_step`, and the codes of {@link createLoraConfig}
 * @example
 * ```ts
 * const config = createAdaLoraConfig({ init_r: 12, target_r: 4, total_step: 1000 });
 * ```
 */
export function createAdaLoraConfig(
  fields: AdaLoraConfigInput = {},
  options: CreateConfigOptions = {},
): AdaLoraConfig {
  return create<AdaLoraConfig>('ADALORA', fields, options);
}

/**
 * Builds an (IA)³ config as `IA3Config(**fields)` does.
 *
 * @param fields - IA3Config fields
 * @param options - `onWarning`
 * @returns the complete config
 * @throws {ConfigError} `FEEDFORWARD_NOT_SUBSET` and the type codes
 * @example
 * ```ts
 * const config = createIA3Config({ target_modules: ['k_proj', 'v_proj', 'down_proj'], feedforward_modules: ['down_proj'] });
 * ```
 */
export function createIA3Config(fields: IA3ConfigInput = {}, options: CreateConfigOptions = {}): IA3Config {
  return create<IA3Config>('IA3', fields, options);
}
