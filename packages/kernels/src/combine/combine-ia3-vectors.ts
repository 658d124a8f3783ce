import { KernelError } from '../errors.js';

/** One source IA3 adapter's vector on a layer, with its weight. */
export interface Ia3LayerVector {
  /** `ia3_l` as stored (`(out, 1)` or `(1, in)`), flattened, float32. */
  readonly l: Float32Array;
  /** The adapter's weight in the combination. */
  readonly weight: number;
}

/**
 * One layer of PEFT 0.21's `IA3Model.add_weighted_adapter`: `l_new = Σ wᵢ·lᵢ` over the adapters present on the
 * layer, accumulated in float32 in the call's order (`l_new += lᵢ * wᵢ`). A layer where no source adapter is
 * present gets zeros, as in PEFT.
 *
 * @param vectors - the adapters present on this layer, in the call's order
 * @param size - the vector length; required when `vectors` is empty
 * @returns the new `ia3_l`, float32
 * @throws {KernelError} `SHAPE_MISMATCH` when lengths differ; `INVALID_ARGUMENT` for a non-finite weight or a
 *   missing size
 * @example
 * ```ts
 * combineIa3Vectors([{ l: la, weight: 0.8 }, { l: lb, weight: 0.3 }]);
 * ```
 */
export function combineIa3Vectors(vectors: readonly Ia3LayerVector[], size?: number): Float32Array {
  const n = size ?? vectors[0]?.l.length;
  if (n === undefined || !Number.isInteger(n) || n < 0) {
    throw new KernelError(
      'INVALID_ARGUMENT',
      'combineIa3Vectors: give the vector size when no vector is present',
      {
        value: size,
      },
    );
  }
  const out = new Float32Array(n);
  vectors.forEach(({ l, weight }, i) => {
    if (l.length !== n) {
      throw new KernelError('SHAPE_MISMATCH', `IA3 vector ${i} has ${l.length} values; expected ${n}`, {
        value: l.length,
      });
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw new KernelError('INVALID_ARGUMENT', `IA3 weight ${i} must be a finite number`, {
        value: weight,
      });
    }
    const w = Math.fround(weight);
    for (let j = 0; j < n; j++) out[j] = (out[j] as number) + Math.fround((l[j] as number) * w);
  });
  return out;
}
