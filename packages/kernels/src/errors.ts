/**
 * Stable codes of {@link KernelError}, so callers can branch on `error.code`.
 */
export type KernelErrorCode =
  /** A length does not match the shape it was given with, or two operands' shapes disagree. */
  | 'SHAPE_MISMATCH'
  /** A dtype name is not one the operation supports (e.g. `'f64'` where `'f32' | 'f16' | 'bf16'` is expected). */
  | 'UNSUPPORTED_DTYPE'
  /** An argument has an impossible value: a negative or non-integer size, a NaN scaling, a wrong typed array. */
  | 'INVALID_ARGUMENT'
  /** `backend: 'wasm'` was asked for, but WebAssembly with SIMD cannot be used in this runtime. */
  | 'WASM_UNAVAILABLE'
  /** A worker of the `./node` pool failed or exited while running a job. */
  | 'WORKER_FAILED'
  /** The `./node` pool was used after `close()`. */
  | 'POOL_CLOSED';

/** Options of {@link KernelError}. */
export interface KernelErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The one error class of `@peftjs/kernels`: every invalid input or unavailable backend.
 *
 * @example
 * ```ts
 * try { mergeLora(weight, lora); } catch (e) { if (isKernelError(e)) console.log(e.code); }
 * ```
 */
export class KernelError extends Error {
  /** Stable machine-readable code. */
  readonly code: KernelErrorCode;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - `cause`: the underlying error
   */
  constructor(code: KernelErrorCode, message: string, options?: KernelErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KernelError';
    this.code = code;
  }
}

/**
 * Whether `value` is a {@link KernelError}, also across realms (checks `name` and `code`).
 *
 * @param value - anything caught
 * @returns true for a KernelError
 */
export function isKernelError(value: unknown): value is KernelError {
  return (
    value instanceof KernelError ||
    (value instanceof Error && value.name === 'KernelError' && typeof Reflect.get(value, 'code') === 'string')
  );
}
