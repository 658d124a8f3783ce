/**
 * Stable codes of {@link SafetensorsError}. Each maps to one failure of the safetensors format (the Rust
 * reference's error in brackets, where it has one), so callers can branch on `error.code`.
 */
export type SafetensorsErrorCode =
  /** The input is shorter than the 8-byte header length prefix (`HeaderTooSmall`). */
  | 'HEADER_TOO_SMALL'
  /** The declared header length exceeds {@link MAX_HEADER_BYTES} (`HeaderTooLarge`). */
  | 'HEADER_TOO_LARGE'
  /** The declared header runs past the end of the input (`InvalidHeaderLength`). */
  | 'INVALID_HEADER_LENGTH'
  /** The header is not valid UTF-8, or a string to write cannot be encoded as UTF-8 (`InvalidHeader`). */
  | 'INVALID_UTF8'
  /** The header is not JSON, or its root is not an object (`InvalidHeaderDeserialization`). */
  | 'INVALID_JSON'
  /** A tensor entry is not an object, lacks or repeats a field, or a tensor is named `__metadata__`. */
  | 'INVALID_HEADER'
  /** `__metadata__` is not an object whose values are all strings. */
  | 'INVALID_METADATA'
  /** A dtype is not one of the format's dtypes. */
  | 'INVALID_DTYPE'
  /** A shape is not an array of non-negative integers. */
  | 'INVALID_SHAPE'
  /** `data_offsets` is not a pair of non-negative integers, or offsets leave gaps or overlap (`InvalidOffset`). */
  | 'INVALID_OFFSETS'
  /** Two tensors (or two `__metadata__` keys) share a name. */
  | 'DUPLICATE_NAME'
  /** A tensor's byte length differs from dtype × shape (`TensorInvalidInfo`, `InvalidTensorView`). */
  | 'SIZE_MISMATCH'
  /** A sub-byte tensor does not fill a whole number of bytes (`MisalignedSlice`). */
  | 'MISALIGNED_SLICE'
  /** The data section is not exactly covered by the tensors: trailing or missing bytes (`MetadataIncompleteBuffer`). */
  | 'INCOMPLETE_BUFFER'
  /** No tensor has the requested name (`TensorNotFound`). */
  | 'TENSOR_NOT_FOUND'
  /** Element count or byte size overflows u64, or a value exceeds 2^53 - 1 (`ValidationOverflow`). */
  | 'OVERFLOW'
  /** The requested conversion does not exist for this dtype (e.g. complex C64 to Float32Array). */
  | 'UNSUPPORTED_DTYPE'
  /** Reading or writing the underlying file or Blob failed, or the reader was closed. */
  | 'IO_ERROR'
  // Codes of the PyTorch checkpoint (`.bin`) reader:
  /** The archive is not a well-formed ZIP (bad signature, offset or length past the end, bad checksum). */
  | 'BAD_ZIP'
  /** A valid ZIP feature that torch never writes (compression, encryption, multi-disk archives). */
  | 'UNSUPPORTED_ZIP'
  /** The pickle stream is malformed (truncated, stack underflow, bad memo reference, wrong argument shape). */
  | 'BAD_PICKLE'
  /** The pickle names a global outside the allow-list, or calls an allowed global that is not callable. */
  | 'FORBIDDEN_GLOBAL'
  /** The pickle uses an opcode outside the allow-list (INST, OBJ, NEWOBJ, EXT*, unknown bytes, ...). */
  | 'FORBIDDEN_OPCODE'
  /** A persistent id names a storage whose `data/<key>` record is not in the archive. */
  | 'MISSING_STORAGE'
  /** A storage record's length does not match its declared element count. */
  | 'BAD_STORAGE'
  /** A tensor's offset, size or stride does not fit inside its storage, or is not a valid shape. */
  | 'BAD_TENSOR'
  /** The unpickled object is not a dict of tensors (nor a dict holding one). */
  | 'BAD_CHECKPOINT'
  /** Rebuilding the tensors would produce more bytes than the configured limit. */
  | 'LIMIT_EXCEEDED';

/** Options of {@link SafetensorsError}: the underlying error, if any. */
export interface SafetensorsErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The one error class of `@peftjs/safetensors`: every failure of parsing, validation, reading or writing.
 *
 * @example
 * ```ts
 * try { parseSafetensorsHeader(bytes); } catch (e) { if (isSafetensorsError(e)) console.log(e.code); }
 * ```
 */
export class SafetensorsError extends Error {
  /** Stable machine-readable code. */
  readonly code: SafetensorsErrorCode;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - `cause`: the underlying error
   */
  constructor(code: SafetensorsErrorCode, message: string, options?: SafetensorsErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SafetensorsError';
    this.code = code;
  }
}

/**
 * Whether `value` is a {@link SafetensorsError}, also across realms (checks `name` and `code`).
 *
 * @param value - anything caught
 * @returns true for a SafetensorsError
 */
export function isSafetensorsError(value: unknown): value is SafetensorsError {
  return (
    value instanceof SafetensorsError ||
    (value instanceof Error &&
      value.name === 'SafetensorsError' &&
      typeof Reflect.get(value, 'code') === 'string')
  );
}

/** Quotes a value for an error message, shortening long ones. @internal */
export function show(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
