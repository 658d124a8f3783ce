/**
 * Stable codes of {@link ModelCardError}, so callers can branch on `error.code`.
 */
export type ModelCardErrorCode =
  /** The front matter is not YAML that PyYAML's `safe_load` accepts (PEFT would fail on it too). */
  | 'INVALID_YAML'
  /**
   * The front matter is valid YAML that this package does not read: anchors and aliases, tags (`!!str`), complex
   * `? key` entries, merge keys (`<<`), directives, keys that are not strings, surrogate escapes.
   */
  | 'UNSUPPORTED_YAML'
  /**
   * The metadata is not what huggingface_hub's `ModelCardData` accepts: not a mapping, a key that is not a string,
   * a malformed `model-index` or `eval_results`, `tags` that are not a list, or a value with no YAML form.
   */
  | 'INVALID_METADATA'
  /** An option of {@link createModelCard} / {@link updateModelCard} is out of range (e.g. an empty `peftType`). */
  | 'INVALID_OPTIONS';

/** Options of {@link ModelCardError}: the underlying error, if any. */
export interface ModelCardErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The one error class of `@peftjs/model-card`: every failure of reading, merging or writing a model card.
 *
 * @example
 * ```ts
 * try { parseModelCard(text); } catch (e) { if (isModelCardError(e)) console.log(e.code); }
 * ```
 */
export class ModelCardError extends Error {
  /** Stable machine-readable code. */
  readonly code: ModelCardErrorCode;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - `cause`: the underlying error
   */
  constructor(code: ModelCardErrorCode, message: string, options?: ModelCardErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelCardError';
    this.code = code;
  }
}

/**
 * Whether `value` is a {@link ModelCardError}, also across realms (checks `name` and `code`).
 *
 * @param value - anything caught
 * @returns true for a ModelCardError
 */
export function isModelCardError(value: unknown): value is ModelCardError {
  return (
    value instanceof ModelCardError ||
    (value instanceof Error &&
      value.name === 'ModelCardError' &&
      typeof Reflect.get(value, 'code') === 'string')
  );
}

/** Quotes a value for an error message, shortening long ones. @internal */
export function show(value: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
