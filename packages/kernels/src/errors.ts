/**
 * Stable codes of {@link KernelError}, so callers can branch on `error.code`. Where PEFT 0.21 raises for the same
 * input (the weighted combinations), the PEFT message is named.
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
  | 'POOL_CLOSED'
  /** `combination_type` is not one PEFT knows (PEFT: "Invalid combination_type"). */
  | 'UNKNOWN_COMBINATION'
  /** The combination needs equal ranks and they differ (PEFT: "All adapters must have the same r value"). */
  | 'RANK_MISMATCH'
  /** `density` is missing, NaN or negative for a type that prunes (PEFT: "Density should be >= 0"). */
  | 'INVALID_DENSITY'
  /** No adapter takes part in a combination (PEFT: "No matching LoRAs found"). */
  | 'NO_ADAPTERS'
  /** `target_modules` mixes lists and regex strings, or is missing (PEFT: "should follow the same target modules type"). */
  | 'TARGET_MODULES_MISMATCH'
  /** An adapter targets `nn.Parameter`s (PEFT: "add_weighted_adapter does not support targeting nn.Parameter"). */
  | 'TARGET_PARAMETERS_UNSUPPORTED'
  /** The SVD rank asked for does not fit the layer (torch fails, or PEFT would write inconsistent A/B shapes). */
  | 'SVD_RANK_TOO_LARGE'
  /** The SVD iteration did not converge (non-finite input). */
  | 'SVD_NOT_CONVERGED';

/** Options of {@link KernelError}. */
export interface KernelErrorOptions {
  /** The offending value, where there is one. */
  value?: unknown;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The one error class of `@peftjs/kernels`: every invalid input, unavailable backend or failed combination
 * (`CombineError` is an alias of it).
 *
 * @example
 * ```ts
 * try { mergeLora(weight, lora); } catch (e) { if (isKernelError(e)) console.log(e.code); }
 * ```
 */
export class KernelError extends Error {
  /** Stable machine-readable code. */
  readonly code: KernelErrorCode;
  /** The offending value, where there is one (`undefined` otherwise). */
  readonly value: unknown;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - `value`: the offending value; `cause`: the underlying error
   */
  constructor(code: KernelErrorCode, message: string, options: KernelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KernelError';
    this.code = code;
    this.value = options.value;
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
