import { AdapterError } from '../errors.js';
import { type ModelConfig, tokenIdList } from './model-config.js';

/**
 * Per-call generation settings (transformers' `generate()` keywords in camelCase). Anything left out comes from
 * the model's `generation_config.json`, then from transformers' defaults.
 */
export interface GenerationOptions {
  /**
   * Tokens to generate at most. @defaultValue `max_new_tokens`, else `max_length` − prompt length when the
   * generation config sets `max_length`, else 20 (transformers 5)
   */
  readonly maxNewTokens?: number;
  /** Tokens to generate at least before EOS may end a sequence. @defaultValue 0 */
  readonly minNewTokens?: number;
  /** Sample instead of picking the most likely token. @defaultValue `do_sample`, else false */
  readonly doSample?: boolean;
  /** Divides the logits before sampling. @defaultValue 1 */
  readonly temperature?: number;
  /** Keep only the `topK` most likely tokens (0: all). @defaultValue 50 */
  readonly topK?: number;
  /** Keep the smallest set of tokens whose probability reaches `topP`. @defaultValue 1 */
  readonly topP?: number;
  /** Keep tokens at least `minP` × the top probability. @defaultValue none */
  readonly minP?: number;
  /** transformers' repetition penalty (> 1 discourages tokens already in the sequence). @defaultValue 1 */
  readonly repetitionPenalty?: number;
  /** Seed of the sampler: the same seed, prompt and settings give the same tokens. @defaultValue random */
  readonly seed?: number;
  /** Texts that end a sequence; the returned text stops before the first one found. */
  readonly stop?: readonly string[];
  /** Token ids that end a sequence. @defaultValue the generation config's, else the model's `eos_token_id` */
  readonly eosTokenId?: number | readonly number[];
  /** Id fed for padding and after a sequence ended. @defaultValue `pad_token_id`, else the first EOS id */
  readonly padTokenId?: number;
  /** Feed past keys and values back (when the model has cache inputs). @defaultValue `use_cache`, else true */
  readonly useCache?: boolean;
}

/** Settings after merging call options, `generation_config.json` and defaults. */
export interface ResolvedGeneration {
  readonly maxNewTokens: number | undefined;
  readonly maxLength: number | undefined;
  readonly minNewTokens: number;
  readonly doSample: boolean;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly minP: number | undefined;
  readonly repetitionPenalty: number;
  readonly seed: number | undefined;
  readonly stop: readonly string[];
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number;
  readonly useCache: boolean;
}

type Json = Readonly<Record<string, unknown>>;

function num(json: Json, key: string): number | undefined {
  const value = json[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function check(ok: boolean, name: string, value: unknown, rule: string): void {
  if (!ok) {
    throw new AdapterError('INVALID_ARGUMENT', `${name} must be ${rule}, got ${JSON.stringify(value)}`);
  }
}

function checkOptions(o: ResolvedGeneration): void {
  const intAtLeast = (v: number | undefined, min: number) =>
    v === undefined || (Number.isInteger(v) && v >= min);
  check(intAtLeast(o.maxNewTokens, 0), 'maxNewTokens', o.maxNewTokens, 'an integer ≥ 0');
  check(intAtLeast(o.minNewTokens, 0), 'minNewTokens', o.minNewTokens, 'an integer ≥ 0');
  check(o.temperature > 0, 'temperature', o.temperature, 'a number > 0 (use doSample: false for greedy)');
  check(intAtLeast(o.topK, 0), 'topK', o.topK, 'an integer ≥ 0');
  check(o.topP > 0 && o.topP <= 1, 'topP', o.topP, 'in (0, 1]');
  check(o.minP === undefined || (o.minP >= 0 && o.minP <= 1), 'minP', o.minP, 'in [0, 1]');
  check(o.repetitionPenalty > 0, 'repetitionPenalty', o.repetitionPenalty, 'a number > 0');
  check(o.seed === undefined || Number.isSafeInteger(o.seed), 'seed', o.seed, 'a safe integer');
  check(
    o.stop.every((s) => typeof s === 'string' && s.length > 0),
    'stop',
    o.stop,
    'a list of non-empty strings',
  );
  check(Number.isInteger(o.padTokenId) && o.padTokenId >= 0, 'padTokenId', o.padTokenId, 'a token id');
}

/**
 * Merges call options over the model's `generation_config.json` over transformers' defaults (greedy, top-k 50,
 * 20 new tokens), as `model.generate(**kwargs)` does.
 *
 * @param options - the call's settings
 * @param generationConfig - the parsed `generation_config.json` (`{}` when the model has none)
 * @param model - the model's config (EOS and padding fallbacks)
 * @returns the settings to generate with
 * @throws {AdapterError} `INVALID_ARGUMENT` for out-of-range values, or when no padding id can be found
 */
export function resolveGeneration(
  options: GenerationOptions,
  generationConfig: Json,
  model: ModelConfig,
): ResolvedGeneration {
  const g = generationConfig;
  const eos =
    options.eosTokenId !== undefined
      ? tokenIdList(options.eosTokenId)
      : g.eos_token_id !== undefined && g.eos_token_id !== null
        ? tokenIdList(g.eos_token_id)
        : model.eosTokenIds;
  const pad = options.padTokenId ?? tokenIdList(g.pad_token_id)[0] ?? model.padTokenId ?? eos[0];
  if (pad === undefined) {
    throw new AdapterError(
      'INVALID_ARGUMENT',
      'no padding token id: the model sets neither pad_token_id nor eos_token_id; pass padTokenId',
    );
  }
  const resolved: ResolvedGeneration = {
    maxNewTokens: options.maxNewTokens ?? num(g, 'max_new_tokens'),
    maxLength: num(g, 'max_length'),
    minNewTokens: options.minNewTokens ?? num(g, 'min_new_tokens') ?? 0,
    doSample: options.doSample ?? g.do_sample === true,
    temperature: options.temperature ?? num(g, 'temperature') ?? 1,
    topK: options.topK ?? num(g, 'top_k') ?? 50,
    topP: options.topP ?? num(g, 'top_p') ?? 1,
    minP: options.minP ?? num(g, 'min_p'),
    repetitionPenalty: options.repetitionPenalty ?? num(g, 'repetition_penalty') ?? 1,
    seed: options.seed,
    stop: options.stop ?? [],
    eosTokenIds: eos,
    padTokenId: pad,
    useCache: options.useCache ?? g.use_cache !== false,
  };
  checkOptions(resolved);
  return resolved;
}

/** New tokens when neither `max_new_tokens` nor `max_length` is set (transformers 5's default). */
export const DEFAULT_MAX_NEW_TOKENS = 20;

/**
 * How many tokens a prompt of `promptLength` tokens may grow by, as transformers 5 decides: `maxNewTokens`, else
 * `max_length` minus the prompt when the generation config sets it, else {@link DEFAULT_MAX_NEW_TOKENS}.
 *
 * @param settings - resolved settings
 * @param promptLength - tokens in the (longest, padded) prompt
 * @returns the new-token budget
 */
export function newTokenBudget(settings: ResolvedGeneration, promptLength: number): number {
  if (settings.maxNewTokens !== undefined) return settings.maxNewTokens;
  if (settings.maxLength !== undefined) return Math.max(0, settings.maxLength - promptLength);
  return DEFAULT_MAX_NEW_TOKENS;
}
