import { KernelError } from '../errors.js';

const f32 = Math.fround;

/**
 * `torch.quantile(values, q)` (linear interpolation) on a float32 tensor, with torch's float32 rounding: `q` is
 * cast to float32, the rank is `q·(n−1)` in float32, and the two neighbours are blended with torch's `lerp`.
 * NaN anywhere gives NaN.
 *
 * @param values - float32 values (any order)
 * @param q - quantile in [0, 1]
 * @returns the quantile, a float32 value
 * @throws {KernelError} `INVALID_ARGUMENT` when `values` is empty or `q` is outside [0, 1]
 * @example
 * ```ts
 * torchQuantile(Float32Array.of(1, 2, 3, 4), 0.5); // 2.5
 * ```
 */
export function torchQuantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) {
    throw new KernelError('INVALID_ARGUMENT', 'quantile() input tensor must be non-empty');
  }
  if (!(q >= 0 && q <= 1)) {
    throw new KernelError('INVALID_ARGUMENT', `quantile() q must be in the range [0, 1] but got ${q}`, {
      value: q,
    });
  }
  const sorted = Float32Array.from(values).sort();
  const last = sorted.length - 1;
  if (Number.isNaN(sorted[last])) return Number.NaN;
  const rank = f32(f32(q) * last);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const weight = f32(rank - below);
  const lo = sorted[below] as number;
  const hi = sorted[above] as number;
  const diff = f32(hi - lo);
  return weight < 0.5 ? f32(lo + f32(weight * diff)) : f32(hi - f32(diff * f32(1 - weight)));
}

/**
 * PEFT's `svd_clamp` step: `hi = quantile(cat(B.flatten(), A.flatten()), clamp)`, then both factors clamped to
 * `[−hi, hi]` (torch's `clamp(min, max)`, so a negative `hi` sets everything to `hi`).
 *
 * Note the quantile reads the signed entries, so it depends on the sign of each singular pair: with the same signs
 * as LAPACK's, the result equals PEFT's.
 *
 * @param factors - `B = U·diag(S)` (out × r) and `A = Vh` (r × in), float32
 * @param clamp - the quantile, in [0, 1]
 * @returns new clamped copies of A and B
 * @throws {KernelError} `INVALID_ARGUMENT` for a clamp outside [0, 1]
 * @example
 * ```ts
 * const { A, B } = clampSvdFactors({ A, B }, 0.99);
 * ```
 */
export function clampSvdFactors(
  factors: { readonly A: Float32Array; readonly B: Float32Array },
  clamp: number,
): { A: Float32Array; B: Float32Array } {
  const dist = new Float32Array(factors.B.length + factors.A.length);
  dist.set(factors.B, 0);
  dist.set(factors.A, factors.B.length);
  const hi = torchQuantile(dist, clamp);
  const lo = -hi;
  const clampOne = (x: Float32Array): Float32Array => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = Math.min(Math.max(x[i] as number, lo), hi);
    return out;
  };
  return { A: clampOne(factors.A), B: clampOne(factors.B) };
}
