import { compilePythonRegex } from './python-regex.js';
import type { AdaLoraConfig, LoraConfig } from './types.js';

/**
 * PEFT's `get_pattern_key`: the first key (in order) whose regex matches a dotted suffix of the module name
 * (`re.match(rf"(.*\.)?({key})$", name)`), or the name itself when none does. `^` in a key anchors it to the
 * start of the name.
 *
 * @param patternKeys - the keys of `rank_pattern` / `alpha_pattern`, in file order
 * @param key - the module's dotted name
 * @returns the matching key, or `key`
 * @throws {ConfigError} `INVALID_REGEX` / `UNSUPPORTED_REGEX` for a bad pattern key
 * @example
 * ```ts
 * getPatternKey(['q_proj', 'layers\\.1\\..*'], 'model.layers.0.self_attn.q_proj'); // 'q_proj'
 * ```
 */
export function getPatternKey(patternKeys: Iterable<string>, key: string): string {
  for (const k of patternKeys) {
    if (compilePythonRegex(`(.*\\.)?(${k})$`, 'rank_pattern / alpha_pattern').match(key) !== null) return k;
  }
  return key;
}

/** Options of {@link rankOf} and {@link scalingOf}. */
export interface RankOptions {
  /** The adapter's name in the model, which AdaLoRA `rank_pattern` keys may still contain. @defaultValue 'default' */
  adapterName?: string;
}

/** Rank of an AdaLoRA module after loading: the kept entries of its `rank_pattern` mask, else `init_r`. */
function adaLoraRank(config: AdaLoraConfig, key: string, adapterName: string): number {
  let rank = config.init_r;
  for (const [name, mask] of Object.entries(config.rank_pattern ?? {})) {
    // PEFT's resize_modules_by_rank_pattern: drop `.lora_E` (and the adapter name if it is still there).
    const parts = name.split('.');
    const module = parts.slice(0, name.includes(adapterName) ? -2 : -1).join('.');
    if (module === key) rank = mask.filter(Boolean).length;
  }
  return rank;
}

/**
 * The rank PEFT gives the module `key`: LoRA `rank_pattern[getPatternKey(…)]`, else `r`; AdaLoRA `init_r`, or the
 * number of kept ranks in its saved `rank_pattern` mask.
 *
 * @param config - a LoRA or AdaLoRA config
 * @param key - a targeted module's dotted name
 * @param options - `adapterName` (AdaLoRA)
 * @returns the rank
 * @example
 * ```ts
 * rankOf(createLoraConfig({ r: 8, rank_pattern: { q_proj: 4 } }), 'model.layers.0.self_attn.q_proj'); // 4
 * ```
 */
export function rankOf(config: LoraConfig | AdaLoraConfig, key: string, options: RankOptions = {}): number {
  if (config.peft_type === 'ADALORA') return adaLoraRank(config, key, options.adapterName ?? 'default');
  const pattern = config.rank_pattern ?? {};
  const k = getPatternKey(Object.keys(pattern), key);
  return Object.hasOwn(pattern, k) ? (pattern[k] as number) : config.r;
}

/**
 * The `lora_alpha` PEFT gives the module `key`: LoRA `alpha_pattern[getPatternKey(…)]`, else `lora_alpha`;
 * AdaLoRA always `lora_alpha`.
 *
 * @param config - a LoRA or AdaLoRA config
 * @param key - a targeted module's dotted name
 * @returns alpha
 */
export function alphaOf(config: LoraConfig | AdaLoraConfig, key: string): number {
  if (config.peft_type === 'ADALORA') return config.lora_alpha;
  const pattern = config.alpha_pattern ?? {};
  const k = getPatternKey(Object.keys(pattern), key);
  return Object.hasOwn(pattern, k) ? (pattern[k] as number) : config.lora_alpha;
}

/**
 * The scaling PEFT stores for the module `key`: LoRA `alpha / r`, or `alpha / sqrt(r)` with `use_rslora`;
 * AdaLoRA `lora_alpha` if > 0, else the rank (its forward pass further divides by `ranknum + 1e-5`).
 *
 * @param config - a LoRA or AdaLoRA config
 * @param key - a targeted module's dotted name
 * @param options - `adapterName` (AdaLoRA)
 * @returns the scaling
 * @example
 * ```ts
 * scalingOf(createLoraConfig({ r: 16, lora_alpha: 8, use_rslora: true }), 'q_proj'); // 2
 * ```
 */
export function scalingOf(
  config: LoraConfig | AdaLoraConfig,
  key: string,
  options: RankOptions = {},
): number {
  const alpha = alphaOf(config, key);
  const r = rankOf(config, key, options);
  if (config.peft_type === 'ADALORA') return alpha > 0 ? alpha : r;
  return config.use_rslora ? alpha / Math.sqrt(r) : alpha / r;
}
