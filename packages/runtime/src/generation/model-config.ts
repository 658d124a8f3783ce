import { AdapterError } from '../errors.js';

/** What generation needs from a model's `config.json` (transformers' `PretrainedConfig`). */
export interface ModelConfig {
  /** `model_type` (`'gpt2'`, `'llama'`, …). */
  readonly modelType: string;
  /** Decoder layers (`num_hidden_layers`, `n_layer`, …). */
  readonly layers: number;
  /** Key/value heads per layer (`num_key_value_heads`, else the attention heads). */
  readonly kvHeads: number;
  /** Size of one head (`head_dim`, else hidden size / attention heads). */
  readonly headDim: number;
  /** Vocabulary size. */
  readonly vocabSize: number;
  /** Token ids that end a sequence (`eos_token_id`, a number or a list). */
  readonly eosTokenIds: readonly number[];
  /** `bos_token_id`, when set. */
  readonly bosTokenId: number | undefined;
  /** `pad_token_id`, when set. */
  readonly padTokenId: number | undefined;
  /** Longest sequence the position embeddings cover (`max_position_embeddings`, `n_positions`), when set. */
  readonly maxPositions: number | undefined;
}

type Json = Readonly<Record<string, unknown>>;

/** The first of `keys` holding a positive integer. */
function firstInt(json: Json, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = json[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  }
  return undefined;
}

/**
 * A token id or a list of them, as configs write `eos_token_id`.
 *
 * @param value - the JSON value
 * @returns the ids (empty for null or absent)
 */
export function tokenIdList(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return [value];
  if (Array.isArray(value)) return value.flatMap(tokenIdList);
  return [];
}

function optionalId(value: unknown): number | undefined {
  return tokenIdList(value)[0];
}

/**
 * Reads what generation needs from a transformers `config.json`: layer count, key/value heads and head size (for
 * empty KV caches), vocabulary, special token ids. Knows the spellings of GPT-2 (`n_layer`, `n_head`, `n_embd`),
 * Llama/Mistral/Qwen (`num_key_value_heads`, `head_dim`), OPT, GPT-NeoX, Falcon, Phi and the `text_config` of
 * multimodal models.
 *
 * @param json - the parsed `config.json`
 * @returns the model's shape
 * @throws {AdapterError} `INVALID_FILE` when the layer count, heads or hidden size cannot be found
 * @example
 * ```ts
 * const config = parseModelConfig(JSON.parse(text)); // { layers: 4, kvHeads: 4, headDim: 32, … }
 * ```
 */
export function parseModelConfig(json: unknown): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AdapterError(
      'INVALID_FILE',
      `config.json must hold a JSON object, got ${JSON.stringify(json)}`,
    );
  }
  const outer = json as Json;
  const text = outer.text_config;
  const c: Json = typeof text === 'object' && text !== null ? { ...outer, ...(text as Json) } : outer;
  const layers = firstInt(c, [
    'num_hidden_layers',
    'n_layer',
    'num_layers',
    'n_layers',
    'num_decoder_layers',
  ]);
  const heads = firstInt(c, ['num_attention_heads', 'n_head', 'num_heads', 'n_heads']);
  const hidden = firstInt(c, ['hidden_size', 'n_embd', 'd_model', 'dim']);
  const headSize =
    firstInt(c, ['head_dim']) ??
    (hidden !== undefined && heads !== undefined ? Math.floor(hidden / heads) : undefined);
  const missing = [
    layers === undefined ? 'the layer count (num_hidden_layers / n_layer)' : '',
    heads === undefined ? 'the attention heads (num_attention_heads / n_head)' : '',
    heads !== undefined && headSize === undefined ? 'the hidden size (hidden_size / n_embd) or head_dim' : '',
  ].filter((m) => m !== '');
  if (layers === undefined || heads === undefined || headSize === undefined) {
    throw new AdapterError(
      'INVALID_FILE',
      `config.json (model_type ${JSON.stringify(c.model_type)}) lacks ${missing.join(', ')}`,
    );
  }
  const multiQuery = c.multi_query === true && c.new_decoder_architecture !== true ? 1 : undefined;
  const kvHeads = firstInt(c, ['num_key_value_heads', 'n_head_kv', 'num_kv_heads']) ?? multiQuery ?? heads;
  return {
    modelType: typeof c.model_type === 'string' ? c.model_type : 'unknown',
    layers,
    kvHeads,
    headDim: headSize,
    vocabSize: firstInt(c, ['vocab_size', 'n_vocab']) ?? 0,
    eosTokenIds: tokenIdList(c.eos_token_id),
    bosTokenId: optionalId(c.bos_token_id),
    padTokenId: optionalId(c.pad_token_id),
    maxPositions: firstInt(c, ['max_position_embeddings', 'n_positions', 'n_ctx']),
  };
}
