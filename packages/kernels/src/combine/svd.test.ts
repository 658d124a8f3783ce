import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKernelError } from '../errors.js';
import { svd } from './svd.js';
import { decodeF64 } from './testdata/fixture-helpers.js';
import { parseOracle } from './testdata/oracle.js';

const oracle = parseOracle(readFileSync(new URL('./testdata/oracle.json', import.meta.url), 'utf8'));

function check(a: Float64Array, m: number, n: number, full: boolean): void {
  const { U, S, Vh, uCols, vhRows } = svd(a, m, n, { fullMatrices: full });
  const k = Math.min(m, n);
  expect(uCols).toBe(full ? m : k);
  expect(vhRows).toBe(full ? n : k);
  expect(S).toHaveLength(k);
  let scale = 1;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  const tol = 1e-12 * scale * Math.max(m, n);
  for (let t = 0; t < k; t++) {
    expect(S[t]).toBeGreaterThanOrEqual(0);
    if (t > 0) expect(S[t]).toBeLessThanOrEqual(S[t - 1] as number);
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let t = 0; t < k; t++)
        v += (U[i * uCols + t] as number) * (S[t] as number) * (Vh[t * n + j] as number);
      expect(Math.abs(v - (a[i * n + j] as number))).toBeLessThanOrEqual(tol);
    }
  }
  for (let p = 0; p < uCols; p++) {
    for (let q = p; q < uCols; q++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += (U[i * uCols + p] as number) * (U[i * uCols + q] as number);
      expect(Math.abs(dot - (p === q ? 1 : 0))).toBeLessThanOrEqual(1e-12 * Math.max(m, n));
    }
  }
  for (let p = 0; p < vhRows; p++) {
    for (let q = p; q < vhRows; q++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += (Vh[p * n + j] as number) * (Vh[q * n + j] as number);
      expect(Math.abs(dot - (p === q ? 1 : 0))).toBeLessThanOrEqual(1e-12 * Math.max(m, n));
    }
  }
  // Sign rule: the largest-magnitude entry of each left singular vector is positive.
  for (let t = 0; t < uCols; t++) {
    let best = 0;
    let value = 0;
    for (let i = 0; i < m; i++) {
      const x = U[i * uCols + t] as number;
      if (Math.abs(x) > best) {
        best = Math.abs(x);
        value = x;
      }
    }
    expect(value).toBeGreaterThanOrEqual(0);
  }
}

const matrices = fc
  .record({
    m: fc.integer({ min: 1, max: 9 }),
    n: fc.integer({ min: 1, max: 9 }),
    rank: fc.integer({ min: 0, max: 9 }),
  })
  .chain(({ m, n, rank }) =>
    fc.record({
      m: fc.constant(m),
      n: fc.constant(n),
      rank: fc.constant(rank),
      left: fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: m * 9, maxLength: m * 9 }),
      right: fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 9 * n, maxLength: 9 * n }),
      full: fc.boolean(),
    }),
  );

/** A matrix of rank ≤ `rank` (product of m×rank and rank×n factors), so deflation paths are exercised. */
function build(x: { m: number; n: number; rank: number; left: number[]; right: number[] }): Float64Array {
  const a = new Float64Array(x.m * x.n);
  for (let i = 0; i < x.m; i++) {
    for (let j = 0; j < x.n; j++) {
      let v = 0;
      for (let t = 0; t < x.rank; t++) v += (x.left[i * 9 + t] as number) * (x.right[t * x.n + j] as number);
      a[i * x.n + j] = v;
    }
  }
  return a;
}

describe('svd', () => {
  it('reconstructs the matrix with orthonormal U and V and descending S (fast-check, incl. rank-deficient)', () => {
    fc.assert(
      fc.property(matrices, (x) => {
        check(build(x), x.m, x.n, x.full);
      }),
      { numRuns: 300 },
    );
  });

  it('handles zero, diagonal and repeated-singular-value matrices', () => {
    check(new Float64Array(12), 3, 4, true);
    const { S } = svd(Float64Array.of(3, 0, 0, 0, -4, 0), 2, 3);
    expect(Array.from(S)).toEqual([4, 3]);
    check(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 3, 3, false);
    check(Float64Array.of(2, 0, 0, 2, 0, 0), 3, 2, true);
  });

  it(`equals torch ${oracle.versions.torch} linalg.svd (float64) up to the sign of each component`, () => {
    for (const c of oracle.svd) {
      const a = decodeF64(c.a);
      const { U, S, Vh, uCols } = svd(a, c.m, c.n, { fullMatrices: false });
      const s = decodeF64(c.s);
      for (let t = 0; t < s.length; t++)
        expect(Math.abs((S[t] as number) - (s[t] as number))).toBeLessThan(1e-12);
      if (c.u === undefined || c.vh === undefined) continue;
      const u = decodeF64(c.u);
      const vh = decodeF64(c.vh);
      const k = s.length;
      for (let t = 0; t < k; t++) {
        let dot = 0;
        for (let j = 0; j < c.n; j++) dot += (Vh[t * c.n + j] as number) * (vh[t * c.n + j] as number);
        const sign = dot < 0 ? -1 : 1;
        for (let j = 0; j < c.n; j++) {
          expect(Math.abs((Vh[t * c.n + j] as number) - sign * (vh[t * c.n + j] as number))).toBeLessThan(
            1e-10,
          );
        }
        for (let i = 0; i < c.m; i++) {
          expect(Math.abs((U[i * uCols + t] as number) - sign * (u[i * k + t] as number))).toBeLessThan(
            1e-10,
          );
        }
      }
    }
  });

  it('rejects a wrong size and non-finite values', () => {
    const codes: unknown[] = [];
    for (const run of [
      () => svd(new Float64Array(5), 2, 3),
      () => svd(Float64Array.of(1, Number.NaN), 1, 2),
    ]) {
      try {
        run();
      } catch (e) {
        codes.push(isKernelError(e) ? e.code : e);
      }
    }
    expect(codes).toEqual(['SHAPE_MISMATCH', 'SVD_NOT_CONVERGED']);
  });
});
