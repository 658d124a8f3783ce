/**
 * Stable codes of {@link CombineError}. Where PEFT 0.21 raises for the same input, the PEFT message is named.
 */
export type CombineErrorCode =
  /** An argument has the wrong type or an impossible value (NaN weight, negative rank, …). */
  | 'INVALID_ARGUMENT'
  /** A tensor's length does not match the shape it was given with, or adapters' shapes disagree. */
  | 'SHAPE_MISMATCH'
  /** `combination_type` is not one PEFT knows (PEFT: "Invalid combination_type"). */
  | 'UNKNOWN_COMBINATION'
  /** The combination needs equal ranks and they differ (PEFT: "All adapters must have the same r value"). */
  | 'RANK_MISMATCH'
  /** `density` is missing, NaN or negative for a type that prunes (PEFT: "Density should be >= 0"). */
  | 'INVALID_DENSITY'
  /** No adapter takes part (PEFT: "No matching LoRAs found"). */
  | 'NO_ADAPTERS'
  /** `target_modules` mixes lists and regex strings, or is missing (PEFT: "should follow the same target modules type"). */
  | 'TARGET_MODULES_MISMATCH'
  /** An adapter targets `nn.Parameter`s (PEFT: "add_weighted_adapter does not support targeting nn.Parameter"). */
  | 'TARGET_PARAMETERS_UNSUPPORTED'
  /** The SVD rank asked for does not fit the layer (torch fails, or PEFT would write inconsistent A/B shapes). */
  | 'SVD_RANK_TOO_LARGE'
  /** The SVD iteration did not converge (non-finite input). */
  | 'SVD_NOT_CONVERGED';

/** Options of {@link CombineError}. */
export interface CombineErrorOptions {
  /** The offending value. */
  value?: unknown;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The error of the weighted-combination kernels (`add_weighted_adapter` math and the SVD).
 *
 * @example
 * ```ts
 * try { combineLoraLayer(options); } catch (e) { if (isCombineError(e)) console.log(e.code); }
 * ```
 */
export class CombineError extends Error {
  /** Stable machine-readable code. */
  readonly code: CombineErrorCode;
  /** The offending value, where there is one. */
  readonly value: unknown;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - the offending value and the underlying error
   */
  constructor(code: CombineErrorCode, message: string, options: CombineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CombineError';
    this.code = code;
    this.value = options.value;
  }
}

/**
 * Whether `value` is a {@link CombineError}, also across realms (checks `name` and `code`).
 *
 * @param value - anything caught
 * @returns true for a CombineError
 */
export function isCombineError(value: unknown): value is CombineError {
  return (
    value instanceof CombineError ||
    (value instanceof Error &&
      value.name === 'CombineError' &&
      typeof Reflect.get(value, 'code') === 'string')
  );
}
