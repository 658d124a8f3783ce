import { ConfigError, show } from './errors.js';
import { truthy } from './field-checks.js';
import type { SupportedPeftType } from './peft-types.js';
import {
  ADALORA_TARGET_MODULES,
  IA3_FEEDFORWARD_MODULES,
  IA3_TARGET_MODULES,
  LORA_TARGET_MODULES,
  type TargetModulesTable,
} from './target-module-tables.js';
import type { AdapterConfig, IA3Config } from './types.js';

const TABLES: Record<SupportedPeftType, TargetModulesTable> = {
  LORA: LORA_TARGET_MODULES,
  IA3: IA3_TARGET_MODULES,
  ADALORA: ADALORA_TARGET_MODULES,
};

function lookup(table: TargetModulesTable, modelType: string): readonly string[] | string | undefined {
  return Object.hasOwn(table, modelType) ? table[modelType] : undefined;
}

function unknownModelType(peftType: string, modelType: string, field = 'target_modules'): ConfigError {
  return new ConfigError(
    'UNKNOWN_MODEL_TYPE',
    `PEFT has no default \`${field}\` for ${peftType} on model type ${show(modelType)}: please specify \`${field}\`.`,
    { field, value: modelType },
  );
}

/**
 * PEFT's default `target_modules` for a method and a transformers `model_type` (`config.json`'s `model_type`).
 *
 * @param peftType - `LORA`, `IA3` or `ADALORA`
 * @param modelType - e.g. `llama`, `gpt2`, `t5`
 * @returns module names (matched as names or `.name` suffixes), or one regex (gemma4)
 * @throws {ConfigError} `UNKNOWN_MODEL_TYPE` when PEFT has no default for the model type
 * @example
 * ```ts
 * defaultTargetModules('LORA', 'llama'); // ['q_proj', 'v_proj']
 * ```
 */
export function defaultTargetModules(
  peftType: SupportedPeftType,
  modelType: string,
): readonly string[] | string {
  const found = lookup(TABLES[peftType], modelType);
  if (found === undefined) throw unknownModelType(peftType, modelType);
  return found;
}

/**
 * PEFT's default (IA)³ `feedforward_modules` for a transformers `model_type`.
 *
 * @param modelType - e.g. `llama`
 * @returns module names, matched with `key.endswith(name)` (no dot required)
 * @throws {ConfigError} `UNKNOWN_MODEL_TYPE` when PEFT has no default for the model type
 */
export function defaultFeedforwardModules(modelType: string): readonly string[] {
  const found = lookup(IA3_FEEDFORWARD_MODULES, modelType);
  if (found === undefined) throw unknownModelType('IA3', modelType, 'feedforward_modules');
  return typeof found === 'string' ? [found] : found;
}

/**
 * Fills a null `target_modules` (and IA3 `feedforward_modules`) from PEFT's tables, as PEFT's
 * `_prepare_adapter_config` does when the model is wrapped; set values are kept. A LoRA config with
 * `target_parameters` and no table entry keeps `target_modules: null`.
 *
 * @param config - a config
 * @param modelType - the base model's `model_type`
 * @returns a new config (or the same one when nothing was missing)
 * @throws {ConfigError} `UNKNOWN_MODEL_TYPE` when a default is needed and PEFT has none
 * @example
 * ```ts
 * withDefaultTargetModules(createIA3Config(), 'opt').feedforward_modules; // ['fc2']
 * ```
 */
export function withDefaultTargetModules<T extends AdapterConfig>(config: T, modelType: string): T {
  let out: T = config;
  if (config.target_modules === null) {
    const found = lookup(TABLES[config.peft_type], modelType);
    if (found !== undefined) out = { ...out, target_modules: typeof found === 'string' ? found : [...found] };
    else if (!(config.peft_type === 'LORA' && truthy(config.target_parameters))) {
      throw unknownModelType(config.peft_type, modelType);
    }
  }
  if (out.peft_type === 'IA3' && out.feedforward_modules === null) {
    out = { ...out, feedforward_modules: [...defaultFeedforwardModules(modelType)] } as IA3Config as T;
  }
  return out;
}
