/**
 * Turns a raw dict (from a file or from JS) into a typed config exactly as PEFT 0.21's `from_peft_type` +
 * `__post_init__` would, plus type checks PEFT leaves to later failures. @internal
 */
import { ADALORA_FIELDS, IA3_FIELDS, LORA_FIELDS } from './config-fields.js';
import { defaultsOf, FLOAT_FIELDS, KASA_DEFAULTS, MONTECLORA_DEFAULTS, VELORA_DEFAULTS } from './defaults.js';
import { ConfigError, show } from './errors.js';
import { type CheckContext, copyJson, defineOwn, fieldError } from './field-checks.js';
import { KNOWN_PEFT_TYPES, SUPPORTED_PEFT_TYPES, type SupportedPeftType } from './peft-types.js';
import { checkIA3, checkLoraFamily } from './post-init.js';
import { childPointer, type JsonObject, type NumberKind } from './python-json.js';
import { compareCodePoints } from './python-json-dump.js';
import { type AdapterConfig, type ConfigWarning, PYTHON_JSON } from './types.js';

/** Whether the dict comes from a file (lenient where PEFT's loader is) or from a `create…Config` call. */
export type NormalizeMode = 'file' | 'create';

/**
 * The spelling an integral number has unless a config records otherwise: float in PEFT's float fields, and for
 * values beyond 2^53 (a JS number that large cannot be an exact Python int; exact big ints are `bigint`s).
 */
export function defaultNumberKind(pointer: string, value: number): NumberKind {
  return FLOAT_FIELDS.has(pointer) || !Number.isSafeInteger(value) ? 'float' : 'int';
}

const FIELDS: Record<SupportedPeftType, Record<string, unknown>> = {
  LORA: LORA_FIELDS,
  ADALORA: ADALORA_FIELDS,
  IA3: IA3_FIELDS,
};

const CLASS_NAMES: Record<SupportedPeftType, string> = {
  LORA: 'LoraConfig',
  ADALORA: 'AdaLoraConfig',
  IA3: 'IA3Config',
};

/** Reads `peft_type`, refusing missing, unknown and unsupported types. */
export function supportedPeftType(raw: Record<string, unknown>): SupportedPeftType {
  if (!Object.hasOwn(raw, 'peft_type') || raw.peft_type === null || raw.peft_type === undefined) {
    throw new ConfigError(
      'MISSING_PEFT_TYPE',
      'The config has no `peft_type`; PEFT requires it to pick the method.',
      {
        field: 'peft_type',
      },
    );
  }
  const t = raw.peft_type;
  if (typeof t === 'string' && (SUPPORTED_PEFT_TYPES as readonly string[]).includes(t))
    return t as SupportedPeftType;
  if (typeof t === 'string' && KNOWN_PEFT_TYPES.includes(t)) {
    throw new ConfigError(
      'UNSUPPORTED_PEFT_TYPE',
      `peft_type ${show(t)} is a known PEFT type that peftjs does not support yet (supported: ${SUPPORTED_PEFT_TYPES.join(', ')}).`,
      { field: 'peft_type', value: t },
    );
  }
  throw new ConfigError(
    'UNKNOWN_PEFT_TYPE',
    `peft_type ${show(t)} is not a PEFT type (supported: ${SUPPORTED_PEFT_TYPES.join(', ')}).`,
    { field: 'peft_type', value: t },
  );
}

/** Python's repr of a list of strings, for messages that quote PEFT's. */
function pyList(items: readonly string[]): string {
  return `[${items.map((s) => (s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`)).join(', ')}]`;
}

/**
 * Validates and completes a raw config dict.
 *
 * @param raw - the dict (not modified)
 * @param kinds - spellings of its integral numbers by JSON pointer
 * @param mode - `file` keeps unknown keys (with a warning) and accepts AdaLoRA `total_step: null`; `create`
 *   refuses both, as PEFT's constructors do
 * @returns the typed config and the warnings
 * @throws {ConfigError} for every invalid field or combination
 */
export function normalizeConfig(
  raw: Record<string, unknown>,
  kinds: ReadonlyMap<string, NumberKind>,
  mode: NormalizeMode,
): { config: AdapterConfig; warnings: ConfigWarning[] } {
  const peftType = supportedPeftType(raw);
  const fields = FIELDS[peftType] as Record<string, (v: unknown, p: string, c: CheckContext) => unknown>;
  const warnings: ConfigWarning[] = [];
  const ctx: CheckContext = { kinds };
  const config = structuredClone(defaultsOf(peftType)) as unknown as Record<string, unknown>;
  const unknownFields: JsonObject = {};

  for (const [key, value] of Object.entries(raw)) {
    if (key === 'runtime_config') {
      warnings.push({
        code: 'RUNTIME_CONFIG_DROPPED',
        message:
          'The configuration contains a `runtime_config` key. This is ignored. Runtime configurations are only valid at runtime.',
      });
      continue;
    }
    const pointer = childPointer('', key);
    const fieldCheck = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (fieldCheck !== undefined) {
      config[key] = fieldCheck(value, pointer, ctx);
    } else if (mode === 'create') {
      throw fieldError('UNKNOWN_FIELD', pointer, value, `is not a field of ${CLASS_NAMES[peftType]}`);
    } else {
      defineOwn(unknownFields, key, copyJson(value, pointer));
    }
  }
  config.peft_type = peftType;
  config.peft_version ??= defaultsOf(peftType).peft_version; // PEFT fills in the version that loads the file

  const unknownKeys = Object.keys(unknownFields).sort(compareCodePoints); // Python's sorted()
  if (unknownKeys.length > 0) {
    warnings.push({
      code: 'UNKNOWN_FIELDS',
      message:
        `Unexpected keyword arguments ${pyList(unknownKeys)} for class ${CLASS_NAMES[peftType]} (probably written ` +
        'by a newer PEFT version). peftjs keeps them and writes them back on save; PEFT 0.21 ignores them.',
      fields: unknownKeys,
    });
  }

  if (peftType === 'IA3') checkIA3(config);
  else {
    convertDataclassConfigs(config, (w) => warnings.push(w));
    checkLoraFamily(config, peftType, mode, (w) => warnings.push(w));
  }

  const numberKinds: Record<string, NumberKind> = {};
  const written = { ...config, ...unknownFields };
  for (const [pointer, kind] of kinds) {
    const value = resolvePointer(written, pointer);
    if (typeof value === 'number' && kind !== defaultNumberKind(pointer, value)) numberKinds[pointer] = kind;
  }
  if (unknownKeys.length > 0 || Object.keys(numberKinds).length > 0) {
    config[PYTHON_JSON as unknown as string] = { unknownFields, numberKinds };
  }
  return { config: config as unknown as AdapterConfig, warnings };
}

/**
 * PEFT rebuilds these from their dicts (`VeloraConfig(**d)` …), so missing keys take defaults. Keys PEFT 0.21 does
 * not know (a newer PEFT's) make PEFT fail; peftjs keeps them with a warning, as it does for top-level keys.
 */
function convertDataclassConfigs(config: Record<string, unknown>, warn: (w: ConfigWarning) => void): void {
  const nested: [string, object][] = [
    ['velora_config', VELORA_DEFAULTS],
    ['kasa_config', KASA_DEFAULTS],
    ['monteclora_config', MONTECLORA_DEFAULTS],
  ];
  for (const [field, defaults] of nested) {
    const value = config[field] as Record<string, unknown> | null;
    if (value === null) continue;
    const extra = Object.keys(value)
      .filter((k) => !Object.hasOwn(defaults, k))
      .sort();
    if (extra.length > 0) {
      warn({
        code: 'UNKNOWN_NESTED_FIELDS',
        message:
          `\`${field}\` has keys PEFT 0.21's ${field} does not know (${extra.join(', ')}; written by a newer PEFT?). ` +
          'peftjs keeps them and writes them back on save; PEFT 0.21 fails to load such a file.',
        fields: extra.map((k) => `${field}.${k}`),
      });
    }
    config[field] = { ...defaults, ...value };
  }
}

/**
 * The value at a JSON pointer, or undefined.
 *
 * @param root - an object or array
 * @param pointer - RFC 6901 pointer (`/a/0/b~1c`)
 */
export function resolvePointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
