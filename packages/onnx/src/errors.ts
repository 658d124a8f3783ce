/** Stable codes of {@link OnnxError}, so callers can branch on `error.code`. */
export type OnnxErrorCode =
  /** The bytes are not a valid protobuf message (truncated, bad varint, unknown wire type, unmatched group). */
  | 'INVALID_PROTOBUF'
  /** The encoded model would reach protobuf's 2 GiB limit: move the weights to external data. */
  | 'MODEL_TOO_LARGE'
  /** A tensor's `external_data` entries are malformed (absolute or `..` location, non-integer offset/length). */
  | 'INVALID_EXTERNAL_DATA'
  /** A tensor's external data was needed but no source (or no such file) was given. */
  | 'EXTERNAL_DATA_MISSING'
  /** A tensor's external range lies past the end of its file. */
  | 'EXTERNAL_DATA_OUT_OF_RANGE'
  /** A tensor's data type is not supported by the operation (e.g. merging into an int8 weight). */
  | 'UNSUPPORTED_DATA_TYPE'
  /** A tensor's data does not have the byte length its dims and data type call for. */
  | 'TENSOR_SIZE_MISMATCH'
  /** One or more PEFT modules could not be found in the graph (the message lists them). */
  | 'TARGET_NOT_FOUND'
  /** A PEFT module matches several different weights; pass a `kind` hint or a base checkpoint. */
  | 'AMBIGUOUS_TARGET'
  /** An argument is invalid: wrong length, unknown option, conflicting fields. */
  | 'INVALID_ARGUMENT'
  /** A name to add is already used by a value or node of the model. */
  | 'DUPLICATE_NAME'
  /** A value name is not defined in the graph. */
  | 'UNKNOWN_VALUE'
  /** The nodes are not in topological order (a value is used before it is produced, or there is a cycle). */
  | 'NOT_TOPOLOGICAL'
  /** A merge callback failed; `cause` holds its error. */
  | 'MERGE_FAILED'
  /** Reading or writing a file failed (Node entry); `cause` holds the system error. */
  | 'IO_FAILED';

/** Options of {@link OnnxError}. */
export interface OnnxErrorOptions {
  /** The offending value, where there is one. */
  value?: unknown;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The one error class of `@peftjs/onnx`: malformed models, missing external data, targets that cannot be
 * located, invalid graph edits.
 *
 * @example
 * ```ts
 * try { decodeModel(bytes); } catch (e) { if (isOnnxError(e)) console.log(e.code); }
 * ```
 */
export class OnnxError extends Error {
  /** Stable machine-readable code. */
  readonly code: OnnxErrorCode;
  /** The offending value, where there is one (`undefined` otherwise). */
  readonly value: unknown;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - `value`: the offending value; `cause`: the underlying error
   */
  constructor(code: OnnxErrorCode, message: string, options: OnnxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OnnxError';
    this.code = code;
    this.value = options.value;
  }
}

/**
 * Whether `value` is an {@link OnnxError}, also across realms (checks `name` and `code`).
 *
 * @param value - anything caught
 * @returns true for an OnnxError
 */
export function isOnnxError(value: unknown): value is OnnxError {
  return (
    value instanceof OnnxError ||
    (value instanceof Error && value.name === 'OnnxError' && typeof Reflect.get(value, 'code') === 'string')
  );
}
