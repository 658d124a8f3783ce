import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKernelError } from '../errors.js';
import { magnitudeBasedPruning, prune, randomPruning } from './prune.js';
import { createSeededRandom } from './seeded-random.js';
import { decodeF32 } from './testdata/fixture-helpers.js';
import { parseOracle } from './testdata/oracle.js';

const oracle = parseOracle(readFileSync(new URL('./testdata/oracle.json', import.meta.url), 'utf8'));

describe('magnitudeBasedPruning / prune("magnitude")', () => {
  it('keeps the int(density·numel) largest magnitudes, whatever their sign', () => {
    expect(Array.from(magnitudeBasedPruning(Float32Array.of(0.1, -3, 2, 0.5), 0.5))).toEqual([0, -3, 2, 0]);
    // int(0.7 · 4) = 2, not round(2.8) = 3; a pruned negative value is −1·0 = −0, as in torch.
    expect(Array.from(prune(Float32Array.of(4, -1, 3, 2), 0.7, 'magnitude'))).toEqual([4, -0, 3, 0]);
    expect(Array.from(prune(Float32Array.of(4, -1, 3), 0, 'magnitude'))).toEqual([0, -0, 0]);
  });

  it('returns an unpruned copy for density >= 1', () => {
    const x = Float32Array.of(1, -2, 3);
    const out = prune(x, 1, 'magnitude');
    expect(Array.from(out)).toEqual([1, -2, 3]);
    expect(out).not.toBe(x);
    expect(Array.from(prune(x, 1.5, 'random'))).toEqual([1, -2, 3]);
  });

  it('rejects a negative or NaN density as PEFT does', () => {
    for (const d of [-0.1, Number.NaN]) {
      let error: unknown;
      try {
        prune(Float32Array.of(1), d, 'magnitude');
      } catch (e) {
        error = e;
      }
      expect(isKernelError(error) && error.code).toBe('INVALID_DENSITY');
    }
  });

  it(`equals PEFT's prune on ${oracle.prune.length} inputs with tied magnitudes`, () => {
    for (const c of oracle.prune) {
      expect(Array.from(prune(decodeF32(c.x), c.density, 'magnitude'))).toEqual(
        Array.from(decodeF32(c.expected)),
      );
    }
  });
});

describe('randomPruning / prune("random")', () => {
  const x = new Float32Array(20_000).map((_, i) => (i % 7) - 3 + 0.25);

  it('keeps about density of the values and rescales the kept ones by 1/density', () => {
    const density = 0.3;
    const out = randomPruning(x, density, true, createSeededRandom(11));
    let kept = 0;
    for (let i = 0; i < x.length; i++) {
      if (out[i] !== 0) {
        kept++;
        expect(out[i]).toBe(Math.fround((x[i] as number) / Math.fround(density)));
      }
    }
    expect(Math.abs(kept / x.length - density)).toBeLessThan(0.015);
  });

  it('does not rescale without rescale, is reproducible per seed and differs across seeds', () => {
    const a = prune(x, 0.5, 'random', { random: createSeededRandom(3) });
    const b = prune(x, 0.5, 'random', { random: createSeededRandom(3) });
    const c = prune(x, 0.5, 'random', { random: createSeededRandom(4) });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    for (let i = 0; i < x.length; i++) expect(a[i] === 0 || a[i] === x[i]).toBe(true);
  });

  it('needs a random source', () => {
    expect(() => prune(x, 0.5, 'random')).toThrow(/random source/);
  });
});
