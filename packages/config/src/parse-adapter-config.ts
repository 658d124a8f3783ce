import { ConfigError, show } from './errors.js';
import { isPlainObject } from './field-checks.js';
import { type NormalizeMode, normalizeConfig } from './normalize-config.js';
import { type JsonObject, type NumberKind, parsePythonJson } from './python-json.js';
import { type AdapterConfig, type ConfigWarning, PYTHON_JSON, type PythonJsonExtras } from './types.js';

/** What {@link parseAdapterConfig} returns. */
export interface ParsedAdapterConfig {
  /** The typed config, every field present (missing ones take PEFT 0.21's defaults). */
  config: AdapterConfig;
  /** What PEFT would warn about, plus what peftjs did differently (unknown keys kept, `total_step: null`). */
  warnings: ConfigWarning[];
}

/**
 * Reads an `adapter_config.json` as PEFT 0.21's `PeftConfig.from_pretrained` does. Files of PEFT 0.6 onward load
 * (missing fields take defaults; AdaLoRA `total_step: null` loads with a warning), keys of newer PEFT versions are
 * kept (with a warning listing them, sorted) and written back by {@link serializeAdapterConfig}, `runtime_config`
 * is dropped with a warning, and the spelling of every number is remembered so that saving reproduces the file.
 *
 * @param input - the file's text, or an already parsed object (a config returned earlier also works)
 * @returns the config and the warnings
 * @throws {ConfigError} `INVALID_JSON`, `NOT_AN_OBJECT`, `MISSING_PEFT_TYPE`, `UNKNOWN_PEFT_TYPE`,
 *   `UNSUPPORTED_PEFT_TYPE` or a field code (`INVALID_TYPE`, `INVALID_BIAS`, …) naming the field and value
 * @example
 * ```ts
 * const { config, warnings } = parseAdapterConfig(await readFile('adapter_config.json', 'utf8'));
 * if (config.peft_type === 'LORA') console.log(config.r, config.lora_alpha);
 * ```
 */
export function parseAdapterConfig(input: string | object): ParsedAdapterConfig {
  if (typeof input === 'string') {
    const { value, numberKinds } = parsePythonJson(input);
    if (!isPlainObject(value)) {
      throw new ConfigError('NOT_AN_OBJECT', `An adapter config must be a JSON object, got ${show(value)}.`, {
        value,
      });
    }
    return normalizeConfig(value, numberKinds, 'file');
  }
  return normalizeObject(input, 'file');
}

/** Normalizes a JS object, taking along the unknown keys and number spellings a config carries. @internal */
export function normalizeObject(input: object, mode: NormalizeMode): ParsedAdapterConfig {
  if (!isPlainObject(input)) {
    throw new ConfigError('NOT_AN_OBJECT', `An adapter config must be a plain object, got ${show(input)}.`, {
      value: input,
    });
  }
  const extras = (input as { [PYTHON_JSON]?: PythonJsonExtras })[PYTHON_JSON];
  const raw: Record<string, unknown> = { ...input };
  const kinds = new Map<string, NumberKind>(Object.entries(extras?.numberKinds ?? {}));
  const carried: JsonObject = extras?.unknownFields ?? {};
  const result = normalizeConfig(raw, kinds, mode);
  if (Object.keys(carried).length > 0) {
    // Unknown keys a parsed config carries travel on; they were reported when the file was read.
    const again = normalizeConfig({ ...carried, ...raw }, kinds, 'file');
    return { config: again.config, warnings: result.warnings };
  }
  return result;
}

/**
 * The keys of the file that PEFT 0.21 does not know (kept on the config and written back on save).
 *
 * @param config - a config
 * @returns the unknown keys and their values (empty for configs built in JS)
 */
export function getUnknownFields(config: AdapterConfig): Readonly<JsonObject> {
  return config[PYTHON_JSON]?.unknownFields ?? {};
}

/**
 * Returns a copy of `config` whose integral numbers at the given JSON pointers are written as ints or floats:
 * how to make `lora_alpha=16.0` (PEFT writes `16.0`) from JS, where 16 and 16.0 are the same number.
 *
 * @param config - a config
 * @param kinds - JSON pointer → `'int'` | `'float'`, e.g. `{ '/lora_alpha': 'float' }`
 * @returns the new config
 * @example
 * ```ts
 * serializeAdapterConfig(withNumberKinds(createLoraConfig({ lora_alpha: 16 }), { '/lora_alpha': 'float' }));
 * ```
 */
export function withNumberKinds<T extends AdapterConfig>(
  config: T,
  kinds: Readonly<Record<string, NumberKind>>,
): T {
  const extras = config[PYTHON_JSON];
  const next: PythonJsonExtras = {
    unknownFields: extras?.unknownFields ?? {},
    numberKinds: { ...extras?.numberKinds, ...kinds },
  };
  return { ...config, [PYTHON_JSON]: next };
}
