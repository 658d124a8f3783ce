import { ConfigError, show } from './errors.js';
import { truthy } from './field-checks.js';
import { compareCodePoints } from './python-json-dump.js';
import { compilePythonRegex } from './python-regex.js';
import type { AdapterConfig, IA3Config } from './types.js';

/** Whether `target_modules` is PEFT's `"all-linear"` shorthand (compared case-insensitively, as PEFT does). */
export function isAllLinear(targetModules: unknown): boolean {
  return typeof targetModules === 'string' && targetModules.toLowerCase() === 'all-linear';
}

function unresolved(field: string, value: unknown, hint: string): ConfigError {
  return new ConfigError('UNRESOLVED_TARGET_MODULES', `\`${field}\` is ${show(value)}: ${hint}.`, {
    field,
    value,
  });
}

/** Python's `int()` of a run of Unicode decimal digits (what `\d+` matched). */
function decimalValue(digits: string): number {
  let value = 0;
  for (const ch of digits) {
    let cp = ch.codePointAt(0) ?? 0;
    // Unicode encodes every decimal digit set as a contiguous run 0..9, and runs only abut other whole runs,
    // so a digit's value is its distance from the start of its block of Nd characters, modulo 10.
    const digit = cp;
    while (/^\p{Nd}$/u.test(String.fromCodePoint(cp - 1))) cp--;
    value = value * 10 + ((digit - cp) % 10);
  }
  return value;
}

/** The layer index PEFT reads from a module name, or null when the name has none. */
function layerIndex(config: AdapterConfig, key: string): number | null {
  const pattern = 'layers_pattern' in config ? config.layers_pattern : null;
  const patterns =
    pattern === null || pattern.length === 0 ? null : typeof pattern === 'string' ? [pattern] : pattern;
  // Lazy .*? (PEFT >= 0.20): the first numbered segment, not a nested one such as an expert index.
  const regexes =
    patterns === null ? ['.*?\\.[^.]*\\.(\\d+)\\.'] : patterns.map((p) => `.*?\\.${p}\\.(\\d+)\\.`);
  for (const source of regexes) {
    const m = compilePythonRegex(source, 'layers_pattern').match(key);
    if (m === null) continue;
    const group = m.group(1);
    if (group === undefined || !/^\p{Nd}+$/u.test(group)) {
      throw new ConfigError(
        'INVALID_VALUE',
        `\`layers_pattern\` ${show(pattern)} contains a capture group, so PEFT reads ${show(group ?? null)} as the layer index of ${show(key)}.`,
        { field: 'layers_pattern', value: pattern },
      );
    }
    return decimalValue(group);
  }
  return null;
}

/**
 * Whether PEFT 0.21 puts an adapter on the module named `key` (`check_target_module_exists`): `exclude_modules`
 * first (regex full match, or exact name / `.name` suffix), then modules inside `modules_to_save`, then
 * `target_modules` as a regex (full match, no layer filter), an exact name (no layer filter) or a `.name` suffix
 * filtered by `layers_to_transform` / `layers_pattern`.
 *
 * @param config - a config whose `target_modules` is resolved (see {@link withDefaultTargetModules} and
 *   {@link expandAllLinear})
 * @param key - the module's dotted name in the base model (`model.layers.0.self_attn.q_proj`)
 * @returns true if the module is adapted
 * @throws {ConfigError} `UNRESOLVED_TARGET_MODULES` for null / `"all-linear"` targets; `INVALID_REGEX` /
 *   `UNSUPPORTED_REGEX` for a bad pattern
 * @example
 * ```ts
 * isTargetModule(createLoraConfig({ target_modules: ['q_proj'] }), 'model.layers.0.self_attn.q_proj'); // true
 * ```
 */
export function isTargetModule(config: AdapterConfig, key: string): boolean {
  const exclude = config.exclude_modules;
  if (truthy(exclude)) {
    if (typeof exclude === 'string') {
      if (compilePythonRegex(exclude, 'exclude_modules').fullmatch(key) !== null) return false;
    } else if ((exclude as string[]).some((e) => key === e || key.endsWith(`.${e}`))) {
      return false;
    }
  }
  // modules_to_save names are inserted into a regex unescaped, as PEFT does.
  for (const m of config.modules_to_save ?? []) {
    if (compilePythonRegex(`(^|.*\\.)${m}($|\\..*)`, 'modules_to_save').match(key) !== null) return false;
  }
  const targets = config.target_modules;
  if (targets === null) {
    if (config.peft_type !== 'IA3' && config.target_parameters !== null) return false;
    throw unresolved(
      'target_modules',
      null,
      'resolve it with withDefaultTargetModules(config, modelType) first',
    );
  }
  if (typeof targets === 'string') {
    if (isAllLinear(targets))
      throw unresolved('target_modules', targets, 'expand it with expandAllLinear() first');
    return compilePythonRegex(targets, 'target_modules').fullmatch(key) !== null;
  }
  if (targets.includes(key)) return true;
  if (!targets.some((t) => key.endsWith(`.${t}`))) return false;

  const layers = config.peft_type === 'IA3' ? null : config.layers_to_transform;
  if (layers === null || (Array.isArray(layers) && layers.length === 0)) return true;
  const index = layerIndex(config, key);
  if (index === null) return false;
  return typeof layers === 'number' ? index === layers : layers.includes(index);
}

/**
 * Whether an (IA)³ module is a feedforward module (its input, not its output, is scaled): a regex
 * `feedforward_modules` must match the whole name; a list matches by plain suffix — no dot required, as in PEFT.
 *
 * @param config - an IA3 config with `feedforward_modules` resolved
 * @param key - a targeted module's dotted name
 * @returns true for a feedforward module
 * @throws {ConfigError} `UNRESOLVED_TARGET_MODULES` while `feedforward_modules` is null
 * @example
 * ```ts
 * isFeedforwardModule(createIA3Config({ target_modules: ['fc2'], feedforward_modules: ['fc2'] }), 'model.decoder.layers.0.fc2'); // true
 * ```
 */
export function isFeedforwardModule(config: IA3Config, key: string): boolean {
  const ff = config.feedforward_modules;
  if (ff === null) {
    throw unresolved(
      'feedforward_modules',
      null,
      'resolve it with withDefaultTargetModules(config, modelType) first',
    );
  }
  if (typeof ff === 'string') return compilePythonRegex(ff, 'feedforward_modules').fullmatch(key) !== null;
  return ff.some((t) => key.endsWith(t));
}

/** What {@link expandAllLinear} needs to know about the model. */
export interface LinearModules {
  /** Full names of every `nn.Linear` / transformers `Conv1D` module. */
  linearModules: readonly string[];
  /** Full name of the module `get_output_embeddings()` returns (`lm_head`), or null if the model has none. */
  outputEmbedding?: string | null;
  /** Names of all modules, to find a `score` / `classifier` head (defaults to `linearModules`). */
  moduleNames?: readonly string[];
}

/**
 * Expands `target_modules: "all-linear"` as PEFT ≥ 0.15 does: every linear module's full name except the output
 * embedding (or, for `SEQ_CLS` models without one, the first of `score` / `classifier`). Other configs are
 * returned unchanged. PEFT stores a set; the list is sorted here.
 *
 * @param config - a config
 * @param model - the model's linear modules and output embedding
 * @returns the config with explicit `target_modules`
 * @example
 * ```ts
 * expandAllLinear(config, { linearModules: ['model.layers.0.mlp.up_proj', 'lm_head'], outputEmbedding: 'lm_head' });
 * ```
 */
export function expandAllLinear<T extends AdapterConfig>(config: T, model: LinearModules): T {
  if (!isAllLinear(config.target_modules)) return config;
  const excluded = new Set<string>();
  const output = model.outputEmbedding ?? null;
  if (output !== null) excluded.add(output);
  else if (config.task_type === 'SEQ_CLS') {
    const names = model.moduleNames ?? model.linearModules;
    const head = ['score', 'classifier'].find((n) => names.includes(n));
    if (head !== undefined) excluded.add(head);
  }
  const targets = [...new Set(model.linearModules)].filter((n) => !excluded.has(n)).sort(compareCodePoints);
  return { ...config, target_modules: targets };
}
