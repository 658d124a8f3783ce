/** @packageDocumentation PEFT adapter_config.json for LoRA, IA3 and AdaLoRA. */

export type {
  AdaLoraConfigInput,
  CreateConfigOptions,
  IA3ConfigInput,
  LoraConfigInput,
} from './create-config.js';
export { createAdaLoraConfig, createIA3Config, createLoraConfig } from './create-config.js';
export {
  defaultFeedforwardModules,
  defaultTargetModules,
  withDefaultTargetModules,
} from './default-target-modules.js';
export {
  ADALORA_DEFAULTS,
  CORDA_DEFAULTS,
  EVA_DEFAULTS,
  FLOAT_FIELDS,
  IA3_DEFAULTS,
  KASA_DEFAULTS,
  LOFTQ_DEFAULTS,
  LORA_DEFAULTS,
  MONTECLORA_DEFAULTS,
  VELORA_DEFAULTS,
} from './defaults.js';
export type { ConfigErrorCode, ConfigErrorOptions } from './errors.js';
export { ConfigError, isConfigError } from './errors.js';
export type { LinearModules } from './module-selection.js';
export { expandAllLinear, isAllLinear, isFeedforwardModule, isTargetModule } from './module-selection.js';
export type { ParsedAdapterConfig } from './parse-adapter-config.js';
export { getUnknownFields, parseAdapterConfig, withNumberKinds } from './parse-adapter-config.js';
export type { RankOptions } from './pattern-key.js';
export { alphaOf, getPatternKey, rankOf, scalingOf } from './pattern-key.js';
export type { SupportedPeftType, TaskType } from './peft-types.js';
export {
  CONFIG_NAME,
  isSupportedPeftType,
  isTaskType,
  KNOWN_PEFT_TYPES,
  PEFT_VERSION,
  SUPPORTED_PEFT_TYPES,
  TASK_TYPES,
} from './peft-types.js';
export type { JsonObject, JsonValue, NumberKind, ParsedPythonJson } from './python-json.js';
export { childPointer, MAX_JSON_DEPTH, parsePythonJson } from './python-json.js';
export type { DumpPythonJsonOptions } from './python-json-dump.js';
export { compareCodePoints, dumpPythonJson, pythonFloatRepr } from './python-json-dump.js';
export type { PythonMatch, PythonRegex } from './python-regex.js';
export { compilePythonRegex, PYTHON_REGEX_CACHE_SIZE } from './python-regex.js';
export { serializeAdapterConfig, toPeftDict } from './serialize-adapter-config.js';
export type { TargetModulesTable } from './target-module-tables.js';
export {
  ADALORA_TARGET_MODULES,
  IA3_FEEDFORWARD_MODULES,
  IA3_TARGET_MODULES,
  LORA_TARGET_MODULES,
} from './target-module-tables.js';
export { TASK_MODULES_TO_SAVE, withTaskModulesToSave } from './task-modules.js';
export type {
  AdaLoraConfig,
  AdapterConfig,
  ArrowConfig,
  BdLoraConfig,
  ConfigOf,
  ConfigWarning,
  CordaConfig,
  EvaConfig,
  IA3Config,
  KasaConfig,
  LoftQConfig,
  LoraConfig,
  LoraFamilyFields,
  LoraGAConfig,
  ModuleSelector,
  MontecloraConfig,
  PeftConfigBase,
  PythonJsonExtras,
  VeloraConfig,
} from './types.js';
export { PYTHON_JSON } from './types.js';
