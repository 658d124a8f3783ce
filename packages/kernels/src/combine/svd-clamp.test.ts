import { readFileSync } from 'node:fs';
import { maxAbsDiff } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { clampSvdFactors, torchQuantile } from './svd-clamp.js';
import { decodeF32 } from './testdata/fixture-helpers.js';
import { parseOracle } from './testdata/oracle.js';

const oracle = parseOracle(readFileSync(new URL('./testdata/oracle.json', import.meta.url), 'utf8'));

describe('torchQuantile', () => {
  it('interpolates linearly between the neighbouring order statistics', () => {
    expect(torchQuantile(Float32Array.of(4, 1, 3, 2), 0.5)).toBe(2.5);
    expect(torchQuantile(Float32Array.of(4, 1, 3, 2), 0)).toBe(1);
    expect(torchQuantile(Float32Array.of(4, 1, 3, 2), 1)).toBe(4);
    expect(torchQuantile(Float32Array.of(7), 0.3)).toBe(7);
    expect(torchQuantile(Float32Array.of(1, Number.NaN), 0.5)).toBeNaN();
  });

  it(`equals torch ${oracle.versions.torch} quantile on ${oracle.quantile.length} float32 inputs`, () => {
    for (const c of oracle.quantile) expect(torchQuantile(decodeF32(c.x), c.q)).toBe(c.expected);
  });

  it('rejects q outside [0, 1] and empty input', () => {
    expect(() => torchQuantile(Float32Array.of(1), 1.5)).toThrow(/range \[0, 1\]/);
    expect(() => torchQuantile(new Float32Array(0), 0.5)).toThrow(/non-empty/);
  });
});

describe('clampSvdFactors', () => {
  it('clamps A and B to ±quantile of their concatenated entries', () => {
    // dist = [B..., A...] = [-4, 1, 2, 8, -0.5, 3]; sorted -4, -0.5, 1, 2, 3, 8; q = 0.8 → rank 4 → 3.
    const { A, B } = clampSvdFactors({ B: Float32Array.of(-4, 1, 2, 8), A: Float32Array.of(-0.5, 3) }, 0.8);
    expect(Array.from(B)).toEqual([-3, 1, 2, 3]);
    expect(Array.from(A)).toEqual([-0.5, 3]);
  });

  it('depends on the signs of the components (why LAPACK’s sign choice matters for svd_clamp)', () => {
    // Two components (out = 2, r = 2, in = 2); flipping the second one (column 1 of B, row 1 of A) moves the
    // median of the entries from 0.35 to 0.075.
    const B = Float32Array.of(5, 0.1, 1, 0.2);
    const A = Float32Array.of(0.5, 0.25, 0.3, 0.4);
    const flip = (b: Float32Array, a: Float32Array) => ({
      B: b.map((x, i) => (i % 2 === 1 ? -x : x)),
      A: a.map((x, i) => (i >= 2 ? -x : x)),
    });
    const direct = clampSvdFactors({ A, B }, 0.5);
    const viaFlip = clampSvdFactors(flip(B, A), 0.5);
    const back = flip(viaFlip.B, viaFlip.A);
    expect(maxAbsDiff(direct.B, [0.35, 0.1, 0.35, 0.2])).toBeLessThan(1e-7);
    expect(maxAbsDiff(back.B, [0.075, 0.075, 0.075, 0.075])).toBeLessThan(1e-7);
  });

  it('sets everything to hi when the quantile is negative, as torch.clamp(min > max) does', () => {
    const { B } = clampSvdFactors({ B: Float32Array.of(-4, -3, 1), A: Float32Array.of(-2) }, 0);
    expect(Array.from(B)).toEqual([-4, -4, -4]);
  });
});
