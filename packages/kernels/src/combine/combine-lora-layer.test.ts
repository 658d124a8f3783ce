import { describe, expect, it } from 'vitest';
import { isKernelError } from '../errors.js';
import type { CombinationType, CombineLoraLayerOptions, LoraLayerAdapter } from './combination-types.js';
import { combineLoraLayer } from './combine-lora-layer.js';
import { createSeededRandom } from './seeded-random.js';
import { product } from './testdata/fixture-helpers.js';

function adapter(r: number, inF: number, out: number, seed: number, extra: Partial<LoraLayerAdapter> = {}) {
  const random = createSeededRandom(seed);
  return {
    A: new Float32Array(r * inF).map(() => random() - 0.5),
    B: new Float32Array(out * r).map(() => random() - 0.5),
    r,
    inFeatures: inF,
    outFeatures: out,
    scaling: 2,
    weight: 0.7,
    ...extra,
  };
}

function codeOf(options: CombineLoraLayerOptions): unknown {
  try {
    combineLoraLayer(options);
  } catch (e) {
    return isKernelError(e) ? e.code : e;
  }
  return undefined;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe('combineLoraLayer', () => {
  const a = adapter(2, 5, 6, 1, { weight: 0.7, scaling: 2 });
  const b = adapter(3, 5, 6, 2, { weight: -0.4, scaling: 0.5 });

  it('cat: rows of w·s·A, columns of B, zero-padded to newRank, giving exactly Σ w·s·B·A', () => {
    const { A, B, r } = combineLoraLayer({ adapters: [a, b], type: 'cat', newRank: 7 });
    expect(r).toBe(7);
    expect(A[0]).toBe(Math.fround(Math.fround((a.A[0] as number) * Math.fround(0.7)) * 2));
    expect(Array.from(A.subarray(5 * 5))).toEqual(new Array(10).fill(0));
    expect(B[0 * 7 + 2]).toBe(b.B[0]);
    expect(B[0 * 7 + 5]).toBe(0);
    const expected = product(a.B, a.A, 6, 2, 5).map(
      (x, i) => 1.4 * x - 0.2 * (product(b.B, b.A, 6, 3, 5)[i] as number),
    );
    expect(maxDiff(product(B, A, 6, 7, 5), expected)).toBeLessThan(1e-6);
    expect(codeOf({ adapters: [a, b], type: 'cat', newRank: 4 })).toBe('INVALID_ARGUMENT');
  });

  it('linear: signed square roots keep a negative weight (exact for one adapter)', () => {
    const single = adapter(3, 5, 6, 3, { weight: -0.9, scaling: 1.5 });
    const { A, B } = combineLoraLayer({ adapters: [single], type: 'linear' });
    const expected = product(single.B, single.A, 6, 3, 5).map((x) => -1.35 * x);
    expect(maxDiff(product(B, A, 6, 3, 5), expected)).toBeLessThan(1e-6);
  });

  it('factor types need equal ranks and a density where they prune', () => {
    expect(codeOf({ adapters: [a, b], type: 'ties', density: 0.5 })).toBe('RANK_MISMATCH');
    const c = adapter(2, 5, 6, 4);
    expect(codeOf({ adapters: [a, c], type: 'ties' })).toBe('INVALID_DENSITY');
    expect(codeOf({ adapters: [a, c], type: 'dare_linear', density: -1 })).toBe('INVALID_DENSITY');
  });

  it('svd: B·A is the best rank-r approximation of Σ w·s·B·A (exact when r ≥ Σ ranks)', () => {
    const { A, B, r } = combineLoraLayer({ adapters: [a, b], type: 'svd', newRank: 5 });
    expect(r).toBe(5);
    const expected = product(a.B, a.A, 6, 2, 5).map(
      (x, i) => 1.4 * x - 0.2 * (product(b.B, b.A, 6, 3, 5)[i] as number),
    );
    expect(maxDiff(product(B, A, 6, 5, 5), expected)).toBeLessThan(1e-6);
    // Default rank: max r on the layer.
    expect(combineLoraLayer({ adapters: [a, b], type: 'svd' }).r).toBe(3);
  });

  it('svd ranks above min(out, in): square layers keep min, others fail with full matrices', () => {
    const square = adapter(2, 4, 4, 5);
    expect(combineLoraLayer({ adapters: [square], type: 'svd', newRank: 6 }).r).toBe(4);
    expect(codeOf({ adapters: [a], type: 'svd', newRank: 6 })).toBe('SVD_RANK_TOO_LARGE');
    expect(combineLoraLayer({ adapters: [a], type: 'svd', newRank: 6, svdFullMatrices: false }).r).toBe(5);
  });

  it('fan_in_fan_out / embedding only change the element order pruning sees', () => {
    const c = adapter(2, 5, 6, 6, { weight: 0.3 });
    for (const type of ['ties_svd', 'magnitude_prune_svd'] as CombinationType[]) {
      const plain = combineLoraLayer({ adapters: [a, c], type, density: 0.5 });
      const fif = combineLoraLayer({ adapters: [a, c], type, density: 0.5, fanInFanOut: true });
      const emb = combineLoraLayer({ adapters: [a, c], type, density: 0.5, embedding: true });
      // Random data has no tied magnitudes, so the kept set, and the result, are the same.
      expect(maxDiff(fif.A, plain.A)).toBe(0);
      expect(maxDiff(emb.B, plain.B)).toBe(0);
    }
  });

  it('DARE: density 1 equals the unpruned type; below 1 it is seeded', () => {
    const c = adapter(2, 5, 6, 7, { weight: -0.3 });
    const linear = combineLoraLayer({ adapters: [a, c], type: 'linear' });
    const dare1 = combineLoraLayer({ adapters: [a, c], type: 'dare_linear', density: 1 });
    expect(Array.from(dare1.A)).toEqual(Array.from(linear.A));
    expect(Array.from(dare1.B)).toEqual(Array.from(linear.B));
    const run = (seed: number) =>
      combineLoraLayer({ adapters: [a, c], type: 'dare_ties', density: 0.5, seed });
    expect(Array.from(run(1).A)).toEqual(Array.from(run(1).A));
    expect(Array.from(run(1).A)).not.toEqual(Array.from(run(2).A));
    const svd1 = combineLoraLayer({ adapters: [a, c], type: 'dare_linear_svd', density: 1, newRank: 4 });
    const svd = combineLoraLayer({ adapters: [a, c], type: 'svd', newRank: 4 });
    expect(maxDiff(svd1.A, svd.A)).toBe(0);
  });

  it('rejects missing adapters, bad shapes, unknown types and a bad clamp', () => {
    expect(codeOf({ adapters: [], type: 'linear' })).toBe('NO_ADAPTERS');
    expect(codeOf({ adapters: [{ ...a, A: new Float32Array(3) }], type: 'linear' })).toBe('SHAPE_MISMATCH');
    expect(codeOf({ adapters: [a, adapter(2, 4, 6, 8)], type: 'linear' })).toBe('SHAPE_MISMATCH');
    expect(codeOf({ adapters: [{ ...a, weight: Number.NaN }], type: 'linear' })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ adapters: [a], type: 'nope' as CombinationType })).toBe('UNKNOWN_COMBINATION');
    expect(codeOf({ adapters: [a], type: 'svd', svdClamp: 2 })).toBe('INVALID_ARGUMENT');
  });
});
