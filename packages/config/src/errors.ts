/**
 * Stable codes of {@link ConfigError}, so callers can branch on `error.code`. The PEFT check each one mirrors is
 * named where there is one (PEFT 0.21 `__post_init__` or the place PEFT would fail later).
 */
export type ConfigErrorCode =
  /** The text is not JSON as Python's `json.loads` reads it. */
  | 'INVALID_JSON'
  /** The JSON root (or a value passed in) is not an object. */
  | 'NOT_AN_OBJECT'
  /** The config has no `peft_type` (PEFT's `MIN_EXPECTED_CONFIG_KEYS`). */
  | 'MISSING_PEFT_TYPE'
  /** `peft_type` is not a PEFT type at all. */
  | 'UNKNOWN_PEFT_TYPE'
  /** `peft_type` is a known PEFT type (prompt tuning, LoHa, …) that peftjs does not support yet. */
  | 'UNSUPPORTED_PEFT_TYPE'
  /** `task_type` is not one of PEFT's task types (PEFT: "Invalid task type"). */
  | 'INVALID_TASK_TYPE'
  /** A key that is not a field of the config type, passed to a `create…Config` function. */
  | 'UNKNOWN_FIELD'
  /** A field has the wrong JSON type (e.g. a string `r`, a float where PEFT needs an int). */
  | 'INVALID_TYPE'
  /** A field has a value PEFT rejects (negative rank, dropout outside [0, 1], …). */
  | 'INVALID_VALUE'
  /** `bias` is not `"none"`, `"all"` or `"lora_only"`. */
  | 'INVALID_BIAS'
  /** `init_lora_weights` is a string PEFT does not know. */
  | 'INVALID_INIT_LORA_WEIGHTS'
  /** `layers_to_transform` / `layers_pattern` used with a regex `target_modules`. */
  | 'LAYERS_WITH_REGEX_TARGET'
  /** `layers_pattern` set without `layers_to_transform`. */
  | 'LAYERS_PATTERN_WITHOUT_LAYERS'
  /** IA3 `feedforward_modules` is not a subset of `target_modules`. */
  | 'FEEDFORWARD_NOT_SUBSET'
  /** Two options PEFT refuses together (DoRA + megatron, `lora_bias` + DoRA, AdaLoRA + DoRA / LoftQ, …). */
  | 'INCOMPATIBLE_OPTIONS'
  /** `init_lora_weights` is `"loftq"` but `loftq_config` is empty. */
  | 'MISSING_LOFTQ_CONFIG'
  /** AdaLoRA `total_step` is not > 0, or the schedule leaves no budgeting phase. */
  | 'INVALID_SCHEDULE'
  /** A pattern is not a valid Python regular expression. */
  | 'INVALID_REGEX'
  /** A valid Python regular expression uses a feature peftjs cannot translate (conditionals, `\N{…}`, …). */
  | 'UNSUPPORTED_REGEX'
  /** `target_modules` (or IA3 `feedforward_modules`) is still null or `"all-linear"`: resolve it first. */
  | 'UNRESOLVED_TARGET_MODULES'
  /** No default target modules are known for this model type (PEFT: "Please specify `target_modules`"). */
  | 'UNKNOWN_MODEL_TYPE';

/** Options of {@link ConfigError}. */
export interface ConfigErrorOptions {
  /** The config field at fault, as a JSON path (`r`, `eva_config.rho`). */
  field?: string;
  /** The offending value. */
  value?: unknown;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The one error class of `@peftjs/config`: every failure of parsing, validating or applying a config.
 *
 * @example
 * ```ts
 * try { parseAdapterConfig(text); } catch (e) { if (isConfigError(e)) console.log(e.code, e.field); }
 * ```
 */
export class ConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code: ConfigErrorCode;
  /** The field at fault, where there is one. */
  readonly field: string | undefined;
  /** The offending value, where there is one. */
  readonly value: unknown;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - the field, the value and the underlying error
   */
  constructor(code: ConfigErrorCode, message: string, options: ConfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.code = code;
    this.field = options.field;
    this.value = options.value;
  }
}

/**
 * Whether `value` is a {@link ConfigError}, also across realms (checks `name` and `code`).
 *
 * @param value - anything caught
 * @returns true for a ConfigError
 */
export function isConfigError(value: unknown): value is ConfigError {
  return (
    value instanceof ConfigError ||
    (value instanceof Error && value.name === 'ConfigError' && typeof Reflect.get(value, 'code') === 'string')
  );
}

/** Quotes a value for an error message, shortening long ones. @internal */
export function show(value: unknown, max = 80): string {
  let text: string;
  try {
    text =
      typeof value === 'bigint'
        ? value.toString()
        : typeof value === 'number' && !Number.isFinite(value)
          ? String(value)
          : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
