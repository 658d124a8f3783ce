import { defaultsOf } from './defaults.js';
import { defaultNumberKind } from './normalize-config.js';
import { normalizeObject } from './parse-adapter-config.js';
import type { JsonObject, JsonValue } from './python-json.js';
import { compareCodePoints, dumpPythonJson } from './python-json-dump.js';
import { type AdapterConfig, PYTHON_JSON } from './types.js';

/**
 * The dict PEFT 0.21 writes for this config (`to_dict()`): every field of the type, defaults filled in, unknown
 * keys of the original file included, keys sorted. Lists that PEFT holds as sets keep the config's order.
 *
 * @param config - a config (checked again, so a config changed by hand cannot produce an invalid file)
 * @returns a plain JSON object
 * @throws {ConfigError} if the config is invalid
 * @example
 * ```ts
 * toPeftDict(createLoraConfig()).lora_dropout; // 0
 * ```
 */
export function toPeftDict(config: AdapterConfig): JsonObject {
  const { config: checked } = normalizeObject(config, 'file');
  const fields = Object.keys(defaultsOf(checked.peft_type));
  const source = { ...checked[PYTHON_JSON]?.unknownFields, ...checked } as Record<string, unknown>;
  const out: JsonObject = {};
  const keys = [...new Set([...fields, ...Object.keys(checked[PYTHON_JSON]?.unknownFields ?? {})])];
  for (const key of keys.sort(compareCodePoints)) {
    Object.defineProperty(out, key, {
      value: source[key] as JsonValue,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Writes a config byte-for-byte as PEFT 0.21's `save_pretrained` does (`json.dumps(d, indent=2, sort_keys=True)`):
 * keys sorted by code point, two-space indent, Python float spelling (`0.0`, `1e-05`), ints as ints,
 * `\uXXXX` escapes, no trailing newline. A config read by {@link parseAdapterConfig} is written back identically.
 *
 * @param config - a config
 * @returns the file's text
 * @throws {ConfigError} if the config is invalid
 * @example
 * ```ts
 * await writeFile('adapter_config.json', serializeAdapterConfig(config));
 * ```
 */
export function serializeAdapterConfig(config: AdapterConfig): string {
  const dict = toPeftDict(config);
  const kinds = normalizeObject(config, 'file').config[PYTHON_JSON]?.numberKinds ?? {};
  return dumpPythonJson(dict, {
    numberKind: (pointer, value) => kinds[pointer] ?? defaultNumberKind(pointer, value),
  });
}
