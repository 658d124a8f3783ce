import { KernelError } from '../errors.js';
import type { CombinedLoraLayer, CombineLoraLayerOptions, LoraLayerAdapter } from './combination-types.js';
import { transpose } from './linalg.js';
import { mergeFactor } from './merge-factor.js';
import { createSeededRandom } from './seeded-random.js';
import { clampSvdFactors } from './svd-clamp.js';
import { type TopSvd, topSvdDense, topSvdLowRank } from './truncated-svd.js';

/**
 * The rank an svd-type combination keeps on an `out × in` layer, as torch/PEFT would: `newRank` capped at
 * `min(out, in)` where PEFT's slicing gives consistent shapes, an error where it does not.
 *
 * @internal
 */
export function svdLayerRank(requested: number, out: number, inF: number, fullMatrices: boolean): number {
  const k = Math.min(out, inF);
  if (requested <= k) return requested;
  // full_matrices=False: U, S, Vh all have k columns/rows, so slicing to `requested` keeps k.
  // full_matrices=True: U is out×out and Vh in×in; only a square layer slices to consistent shapes.
  if (!fullMatrices || out === inF) return k;
  throw new KernelError(
    'SVD_RANK_TOO_LARGE',
    `svd rank ${requested} exceeds min(out, in) = ${k} on a ${out}×${inF} layer: with full_matrices=True torch ` +
      (out > inF ? 'fails to multiply U by diag(S)' : 'would give A and B inconsistent ranks'),
    { value: requested },
  );
}

/** True when the combined delta is exactly Σ wᵢ·sᵢ·Bᵢ·Aᵢ (no pruning), so the low-rank SVD applies. */
function isPlainSum(options: CombineLoraLayerOptions): boolean {
  if (options.type === 'svd') return true;
  const d = options.density;
  return (
    (options.type === 'dare_linear_svd' || options.type === 'magnitude_prune_svd') &&
    d !== undefined &&
    d >= 1
  );
}

/**
 * The svd branch of `add_weighted_adapter` on one layer (PEFT's `_svd_generalized_task_arithmetic_weighted_adapter`).
 *
 * @internal
 */
export function combineSvdLayer(options: CombineLoraLayerOptions): CombinedLoraLayer {
  const adapters = options.adapters;
  const first = adapters[0] as LoraLayerAdapter;
  const out = first.outFeatures;
  const inF = first.inFeatures;
  const requested = options.newRank ?? (options.svdRank || Math.max(...adapters.map((ad) => ad.r)));
  if (!Number.isInteger(requested) || requested < 0) {
    throw new KernelError('INVALID_ARGUMENT', `svd rank must be a non-negative integer; got ${requested}`, {
      value: requested,
    });
  }
  const r = svdLayerRank(requested, out, inF, options.svdFullMatrices ?? true);
  const top = isPlainSum(options) ? lowRankTop(adapters, out, inF, r) : prunedTop(options, out, inF, r);
  const B = new Float32Array(out * r);
  const A = new Float32Array(r * inF);
  for (let t = 0; t < r; t++) {
    const sigma = top.s[t] as number;
    for (let o = 0; o < out; o++) B[o * r + t] = (top.u[t * out + o] as number) * sigma;
    A.set(top.v.subarray(t * inF, (t + 1) * inF), t * inF);
  }
  if (options.svdClamp === undefined) return { A, B, r };
  return { ...clampSvdFactors({ A, B }, options.svdClamp), r };
}

/** Top-r SVD of Σ wᵢ·sᵢ·Bᵢ·Aᵢ from the factors, never forming the out × in matrix when the ranks are small. */
function lowRankTop(adapters: readonly LoraLayerAdapter[], out: number, inF: number, r: number): TopSvd {
  const k = adapters.reduce((sum, ad) => sum + ad.r, 0);
  const left = new Float64Array(out * k);
  const right = new Float64Array(k * inF);
  let offset = 0;
  for (const ad of adapters) {
    const factor = ad.weight * ad.scaling;
    for (let o = 0; o < out; o++) {
      for (let c = 0; c < ad.r; c++) left[o * k + offset + c] = (ad.B[o * ad.r + c] as number) * factor;
    }
    right.set(ad.A, offset * inF);
    offset += ad.r;
  }
  return topSvdLowRank(left, right, out, k, inF, r);
}

/**
 * Top-r SVD of a pruned combination: each delta `sᵢ·Bᵢ·Aᵢ` rounded to float32 as torch computes it, in the
 * weight's layout (transposed for fan_in_fan_out and embeddings, so pruning sees PEFT's element order), combined,
 * then transposed back to out × in.
 */
function prunedTop(options: CombineLoraLayerOptions, out: number, inF: number, r: number): TopSvd {
  const transposed = options.fanInFanOut === true || options.embedding === true;
  const deltas = options.adapters.map((ad) => {
    const delta = new Float32Array(out * inF);
    const s = Math.fround(ad.scaling);
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inF; i++) {
        let dot = 0;
        for (let c = 0; c < ad.r; c++) dot += (ad.B[o * ad.r + c] as number) * (ad.A[c * inF + i] as number);
        delta[o * inF + i] = Math.fround(dot) * s;
      }
    }
    return transposed ? transpose(delta, out, inF) : delta;
  });
  const combined = mergeFactor(
    options.type,
    deltas,
    options.adapters.map((ad) => ad.weight),
    options,
    createSeededRandom(options.seed ?? 0),
  );
  return topSvdDense(transposed ? transpose(combined, inF, out) : combined, out, inF, r);
}
