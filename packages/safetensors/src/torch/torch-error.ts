/** Stable codes of {@link TorchLoadError}: callers branch on these, never on the message. */
export type TorchLoadErrorCode =
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
  /** A storage type torch can write but that has no safetensors dtype here (complex, quantized). */
  | 'UNSUPPORTED_DTYPE'
  /** The unpickled object is not a dict of tensors (nor a dict holding one). */
  | 'BAD_CHECKPOINT'
  /** Rebuilding the tensors would produce more bytes than the configured limit. */
  | 'LIMIT_EXCEEDED';

/**
 * The one error type the torch checkpoint reader throws, with a stable {@link TorchLoadErrorCode}.
 *
 * @example
 * ```ts
 * try { readTorchCheckpoint(bytes); } catch (e) { if (e instanceof TorchLoadError && e.code === 'FORBIDDEN_GLOBAL') … }
 * ```
 */
export class TorchLoadError extends Error {
  /** Machine-readable reason; see {@link TorchLoadErrorCode}. */
  readonly code: TorchLoadErrorCode;

  /**
   * Creates the error.
   * @param code - stable reason code
   * @param message - what failed, why, and the offending value
   * @param options - optional `cause`
   */
  constructor(code: TorchLoadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TorchLoadError';
    this.code = code;
  }
}
