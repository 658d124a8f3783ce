/** @packageDocumentation Create and update a PEFT adapter's README.md model card exactly as PEFT does: YAML front matter, template sections, framework versions. */

export { cardDataDict, MODEL_CARD_DATA_KEYS } from './card-data.js';
export { DEFAULT_CARD_TEXT } from './default-card-text.js';
export type { ModelCardErrorCode, ModelCardErrorOptions } from './errors.js';
export { isModelCardError, ModelCardError } from './errors.js';
export type { LineBreak, ModelCard } from './front-matter.js';
export { parseModelCard, serializeModelCard } from './front-matter.js';
export type { AdapterConfigLike, ModelCardOptions } from './peft-card.js';
export {
  createModelCard,
  modelCardOptionsFromConfig,
  PIPELINE_TAGS,
  updateModelCard,
} from './peft-card.js';
export { DEFAULT_FRAMEWORK, PACKAGE_VERSION } from './version.js';
export { dumpYaml } from './yaml-dump.js';
export { parseYaml } from './yaml-parse.js';
export type { YamlMapping, YamlScalar, YamlValue } from './yaml-value.js';
export { isYamlMapping, YamlFloat, YamlTimestamp } from './yaml-value.js';
