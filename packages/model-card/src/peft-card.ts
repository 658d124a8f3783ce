// PEFT 0.21's PeftModel.create_or_update_model_card, on strings.
import { MODEL_CARD_DATA_KEYS } from './card-data.js';
import { DEFAULT_CARD_TEXT } from './default-card-text.js';
import { ModelCardError, show } from './errors.js';
import { type ModelCard, parseModelCard, serializeModelCard } from './front-matter.js';
import { compareCodePoints, pySplitLines, pyTruthy } from './python-text.js';
import { DEFAULT_FRAMEWORK } from './version.js';
import { defineEntry, type YamlMapping, type YamlValue } from './yaml-value.js';

/** What PEFT's card depends on: the adapter's config and the base model it was trained on. */
export interface ModelCardOptions {
  /** The adapter's `peft_type` (`LORA`, `IA3`, `ADALORA`, …); `LORA` adds the `lora` tag. */
  peftType: string;
  /** The adapter's `task_type`; `CAUSAL_LM` sets `pipeline_tag: text-generation` when the card has none. */
  taskType?: string | null | undefined;
  /**
   * The base model's `name_or_path` (a Hub id or a local path): written as `base_model` and as the tag
   * `base_model:adapter:<id>`. transformers models built from a config have `''`; leave it out for a model
   * that has none (a plain torch module).
   */
  baseModel?: string | undefined;
  /**
   * Whether the base model is a transformers `PreTrainedModel`, which adds the `transformers` tag.
   * @defaultValue true
   */
  transformers?: boolean | undefined;
  /** The base model's own `model_tags` (transformers' `add_model_tags`, e.g. TRL's `trl`, `sft`). */
  modelTags?: readonly string[] | undefined;
  /**
   * The entry under `### Framework versions`, without its `- `. PEFT writes `PEFT 0.21.0`.
   * @defaultValue {@link DEFAULT_FRAMEWORK} (`peftjs <version>`)
   */
  framework?: string | undefined;
}

/** The fields of an `adapter_config.json` a card uses. */
export interface AdapterConfigLike {
  readonly peft_type: string;
  readonly task_type?: string | null | undefined;
  readonly base_model_name_or_path?: string | null | undefined;
}

/** The `pipeline_tag` PEFT sets per task type: only causal language models get one (`PeftModelForCausalLM`). */
export const PIPELINE_TAGS: Readonly<Record<string, string>> = Object.freeze({
  CAUSAL_LM: 'text-generation',
});

const FRAMEWORK_HEADING = '### Framework versions';

/**
 * The card options for an adapter config: `peft_type`, `task_type`, and `base_model_name_or_path` as the base
 * model (PEFT saves a nameless transformers model's `''` as `null`, so `null` becomes `''`).
 *
 * @param config - a parsed `adapter_config.json` (any object with `peft_type`)
 * @param overrides - options that win over the config's (e.g. another `baseModel`)
 * @returns the options
 * @example
 * ```ts
 * createModelCard(modelCardOptionsFromConfig(JSON.parse(configText), { baseModel: 'facebook/opt-125m' }));
 * ```
 */
export function modelCardOptionsFromConfig(
  config: AdapterConfigLike,
  overrides: Partial<ModelCardOptions> = {},
): ModelCardOptions {
  return {
    peftType: config.peft_type,
    taskType: config.task_type ?? null,
    baseModel: config.base_model_name_or_path ?? '',
    ...overrides,
  };
}

/**
 * A new adapter's README.md, byte for byte what PEFT's `save_pretrained` writes into an empty folder, except
 * the framework line (`- peftjs <version>` unless `framework` says otherwise).
 *
 * @param options - the adapter's type, task and base model
 * @returns the README.md text
 * @throws {ModelCardError} `INVALID_OPTIONS` for an empty `peftType` or a `framework` with a line break
 * @example
 * ```ts
 * createModelCard({ peftType: 'LORA', taskType: 'CAUSAL_LM', baseModel: 'facebook/opt-125m' });
 * // '---\nbase_model: facebook/opt-125m\nlibrary_name: peft\npipeline_tag: text-generation\ntags:\n…'
 * ```
 */
export function createModelCard(options: ModelCardOptions): string {
  return serializeModelCard(applyPeftCard({ metadata: {}, body: DEFAULT_CARD_TEXT }, options));
}

/**
 * Updates an existing README.md as PEFT's `save_pretrained` does: keeps the text and the metadata a person
 * wrote, sets `library_name: peft`, `base_model`, replaces `tags` with PEFT's (sorted), sets `pipeline_tag` for
 * causal LMs that have none, and adds the framework line under `### Framework versions` (newest first) unless
 * it is there already. New keys follow the card's own, in huggingface_hub's order.
 *
 * @param existing - the README.md text (may have no front matter, or be empty)
 * @param options - the adapter's type, task and base model
 * @returns the new README.md text
 * @throws {ModelCardError} `INVALID_YAML`, `UNSUPPORTED_YAML` or `INVALID_METADATA` for front matter that
 *   cannot be read; `INVALID_OPTIONS` as {@link createModelCard}
 * @example
 * ```ts
 * updateModelCard('---\nlicense: mit\n---\n# Mine\n', { peftType: 'IA3', baseModel: 'gpt2' });
 * ```
 */
export function updateModelCard(existing: string, options: ModelCardOptions): string {
  return serializeModelCard(applyPeftCard(parseModelCard(existing), options));
}

function checkOptions(options: ModelCardOptions): string {
  if (typeof options.peftType !== 'string' || options.peftType === '') {
    throw new ModelCardError(
      'INVALID_OPTIONS',
      `peftType must be a non-empty string, got ${show(options.peftType)}.`,
    );
  }
  const framework = options.framework ?? DEFAULT_FRAMEWORK;
  if (framework === '' || pySplitLines(framework).length !== 1) {
    throw new ModelCardError(
      'INVALID_OPTIONS',
      `framework must be one non-empty line, got ${show(framework)}.`,
    );
  }
  return framework;
}

/** The PEFT metadata and framework line applied to a parsed card. */
function applyPeftCard(card: ModelCard, options: ModelCardOptions): ModelCard {
  const framework = checkOptions(options);
  const added = new Map<string, YamlValue>();
  const metadata: YamlMapping = { ...card.metadata };
  const set = (key: string, value: YamlValue) => {
    if (Object.hasOwn(metadata, key)) defineEntry(metadata, key, value);
    else added.set(key, value);
  };
  const current = (key: string): YamlValue => (added.has(key) ? added.get(key)! : (metadata[key] ?? null));

  set('library_name', 'peft');
  const tags = new Set(options.modelTags ?? []);
  if (options.transformers ?? true) tags.add('transformers');
  if (options.peftType === 'LORA') tags.add('lora');
  if (options.baseModel !== undefined) tags.add(`base_model:adapter:${options.baseModel}`);
  if (tags.size > 0) set('tags', [...tags].sort(compareCodePoints));
  const task = options.taskType ?? '';
  const pipelineTag = Object.hasOwn(PIPELINE_TAGS, task) ? PIPELINE_TAGS[task] : undefined;
  if (pipelineTag !== undefined && !pyTruthy(current('pipeline_tag'))) set('pipeline_tag', pipelineTag);
  if (options.baseModel !== undefined) set('base_model', options.baseModel);
  // PEFT's quantization block ("The following `bitsandbytes` quantization config…") is guarded by
  // hasattr(<config dict>, "quantization_config"), which is never true: PEFT 0.21 never writes it.
  // Keys the card did not have come after its own, in ModelCardData's attribute order.
  for (const key of MODEL_CARD_DATA_KEYS) if (added.has(key)) defineEntry(metadata, key, added.get(key)!);

  const lines = pySplitLines(card.body);
  const entry = `- ${framework}`;
  if (!lines.includes(entry)) {
    const heading = lines.indexOf(FRAMEWORK_HEADING);
    if (heading >= 0) lines.splice(heading + 2, 0, entry);
    else lines.push(`${FRAMEWORK_HEADING}\n\n${entry}`);
  }
  return { ...card, metadata, body: lines.join('\n') };
}
