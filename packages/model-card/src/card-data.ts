// huggingface_hub's ModelCardData: the keys it knows, and the dict it dumps (CardData.to_dict / to_yaml).
import { ModelCardError, show } from './errors.js';
import { normalizeModelIndex } from './model-index.js';
import { pyEquals } from './python-text.js';
import { defineEntry, isYamlMapping, type YamlMapping, type YamlValue } from './yaml-value.js';

/**
 * The attributes of huggingface_hub's `ModelCardData`, in the order it sets them: keys a card does not have yet
 * are written in this order after the card's own keys.
 */
export const MODEL_CARD_DATA_KEYS: readonly string[] = [
  'base_model',
  'datasets',
  'eval_results',
  'language',
  'library_name',
  'license',
  'license_name',
  'license_link',
  'metrics',
  'model_name',
  'pipeline_tag',
  'tags',
];

/** `_to_unique_list(tags)`: duplicates dropped (Python `==`), a string taken character by character. */
function uniqueTags(tags: YamlValue): YamlValue {
  if (tags === null) return null;
  let items: YamlValue[];
  if (Array.isArray(tags)) items = tags;
  else if (typeof tags === 'string') items = Array.from(tags);
  else if (isYamlMapping(tags)) items = Object.keys(tags);
  else
    throw new ModelCardError('INVALID_METADATA', `Card metadata \`tags\` must be a list, got ${show(tags)}.`);
  const unique: YamlValue[] = [];
  for (const tag of items) if (!unique.some((u) => pyEquals(u, tag))) unique.push(tag);
  return unique;
}

/**
 * The mapping huggingface_hub dumps for card metadata (`ModelCardData(**metadata).to_dict()` in the metadata's
 * key order): top-level nulls dropped, `tags` without duplicates, `model-index` normalized and moved last,
 * `model_name` / `eval_results` folded into it.
 *
 * @param metadata - card metadata, as {@link parseModelCard} gives it
 * @returns a new mapping, ready to dump
 * @throws {ModelCardError} `INVALID_METADATA` where huggingface_hub fails (bad `model-index`, `tags` not a list)
 */
export function cardDataDict(metadata: YamlMapping): YamlMapping {
  const modelIndex = normalizeModelIndex(metadata);
  const out: YamlMapping = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (key === 'model-index' || value === null) continue;
    if (modelIndex !== undefined && (key === 'eval_results' || key === 'model_name')) continue;
    defineEntry(out, key, key === 'tags' ? uniqueTags(value) : value);
  }
  if (modelIndex !== undefined) defineEntry(out, 'model-index', modelIndex);
  return out;
}
