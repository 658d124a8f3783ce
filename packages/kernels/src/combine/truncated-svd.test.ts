import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmul } from './linalg.js';
import { createSeededRandom } from './seeded-random.js';
import { svdRows } from './svd.js';
import { topSvdDense, topSvdLowRank } from './truncated-svd.js';

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const random = createSeededRandom(seed);
  return new Float64Array(rows * cols).map(() => random() - 0.5);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe('topSvdLowRank (QR of the factors, SVD of the K×K core)', () => {
  it('gives the dense SVD’s top triplets of left·right', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 30 }),
        fc.integer({ min: 6, max: 30 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        (m, n, k, r, seed) => {
          const left = randomMatrix(m, k, seed);
          const right = randomMatrix(k, n, seed + 1);
          const rank = Math.min(r, k);
          const ours = topSvdLowRank(left, right, m, k, n, rank);
          expect(ours.method).toBe(k * 2 > Math.min(m, n) ? 'dense' : 'low-rank');
          const dense = svdRows(matmul(left, right, m, k, n), m, n, false);
          expect(maxDiff(ours.s, dense.s.subarray(0, rank))).toBeLessThan(1e-12);
          expect(maxDiff(ours.u, dense.left.subarray(0, rank * m))).toBeLessThan(1e-9);
          expect(maxDiff(ours.v, dense.right.subarray(0, rank * n))).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('completes past rank K with σ = 0 and right vectors orthonormal to the row space', () => {
    const m = 12;
    const n = 10;
    const left = randomMatrix(m, 2, 7);
    const right = randomMatrix(2, n, 8);
    const ours = topSvdLowRank(left, right, m, 2, n, 5);
    expect(Array.from(ours.s.subarray(2))).toEqual([0, 0, 0]);
    for (let p = 0; p < 5; p++) {
      for (let q = 0; q < 5; q++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += (ours.v[p * n + j] as number) * (ours.v[q * n + j] as number);
        expect(Math.abs(dot - (p === q ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });
});

describe('topSvdDense', () => {
  it('uses the subspace iteration on large matrices and gives the dense SVD’s top triplets', () => {
    // 600 × 480 > 512² elements: low-rank signal plus sparse noise, like a pruned delta.
    const m = 600;
    const n = 480;
    const r = 4;
    const a = matmul(randomMatrix(m, 8, 1), randomMatrix(8, n, 2), m, 8, n);
    const random = createSeededRandom(3);
    for (let i = 0; i < a.length; i++) if (random() < 0.5) a[i] = 0;
    const ours = topSvdDense(a, m, n, r);
    expect(ours.method).toBe('subspace');
    const dense = svdRows(a, m, n, false);
    expect(maxDiff(ours.s, dense.s.subarray(0, r))).toBeLessThan(1e-10 * (dense.s[0] as number));
    expect(maxDiff(ours.u, dense.left.subarray(0, r * m))).toBeLessThan(1e-8);
    expect(maxDiff(ours.v, dense.right.subarray(0, r * n))).toBeLessThan(1e-8);
  });
});
