import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  calculateMajoritySignMask,
  dareLinear,
  dareTies,
  disjointMerge,
  magnitudePrune,
  taskArithmetic,
  ties,
} from './merge-methods.js';
import { createSeededRandom } from './seeded-random.js';
import { decodeF32, decodeI32 } from './testdata/fixture-helpers.js';
import { parseOracle } from './testdata/oracle.js';

const oracle = parseOracle(readFileSync(new URL('./testdata/oracle.json', import.meta.url), 'utf8'));
const f = (...v: number[]) => Float32Array.from(v);
const list = (x: ArrayLike<number>) => Array.from(x);

describe('merge_utils functions on hand-checked inputs', () => {
  it('taskArithmetic: Σ wᵢ·tᵢ with float32 weights', () => {
    expect(list(taskArithmetic([f(1, 2), f(3, 4)], [0.5, 1]))).toEqual([3.5, 5]);
    expect(list(taskArithmetic([f(1)], [0.1]))).toEqual([Math.fround(0.1)]);
  });

  it('calculateMajoritySignMask: total uses the sum, frequency the sign count, 0 counts as +', () => {
    const t = [f(1, -2, 0, 3), f(-3, 1, 0, -1), f(-1, 1, 5, -1)];
    // total: sums -3, 0, 5, 1 → majority -, +, +, +
    expect(calculateMajoritySignMask(t, 'total').map(list)).toEqual([
      [0, 0, 0, 1],
      [1, 1, 0, 0],
      [1, 1, 1, 0],
    ]);
    // frequency: sign sums -1, 1, 1, -1 → majority -, +, +, -
    expect(calculateMajoritySignMask(t, 'frequency').map(list)).toEqual([
      [0, 0, 0, 0],
      [1, 1, 0, 1],
      [1, 1, 1, 1],
    ]);
  });

  it('disjointMerge: mean over the agreeing entries, 0 where none agrees', () => {
    expect(
      list(disjointMerge([f(2, 4, 1), f(6, -4, 1)], [Uint8Array.of(1, 1, 0), Uint8Array.of(1, 0, 0)])),
    ).toEqual([4, 4, 0]);
  });

  it('magnitudePrune: prune each tensor, then the weighted sum', () => {
    expect(list(magnitudePrune([f(1, -4), f(3, 0.5)], [2, 1], 0.5))).toEqual([3, -8]);
  });

  it('ties: prune, elect, disjoint mean of the weighted values', () => {
    // density 1: t1 = (1, -2), t2 = (3, 2); weights (1, 0.5); signs: (+,+) agree; (-,+) sum 0 → + wins.
    expect(list(ties([f(1, -2), f(3, 2)], [1, 0.5], 1))).toEqual([(1 + 1.5) / 2, 1]);
  });

  it('dareLinear / dareTies at density 1 are taskArithmetic / ties without pruning', () => {
    const t = [f(1, -2, 0.5), f(-3, 2, 0.25)];
    const random = createSeededRandom(0);
    expect(list(dareLinear(t, [0.3, 0.7], 1, random))).toEqual(list(taskArithmetic(t, [0.3, 0.7])));
    expect(list(dareTies(t, [0.3, 0.7], 1, random, 'frequency'))).toEqual(
      list(ties(t, [0.3, 0.7], 1, 'frequency')),
    );
  });

  it('rejects tensors of different sizes and a wrong weight count', () => {
    expect(() => taskArithmetic([f(1), f(1, 2)], [1, 1])).toThrow(/equal sizes/);
    expect(() => taskArithmetic([f(1)], [1, 1])).toThrow(/one weight per task tensor/);
    expect(() => ties([f(1)], [1], -1)).toThrow(/Density should be >= 0/);
  });
});

describe(`merge_utils functions against PEFT ${oracle.versions.peft}`, () => {
  it(`calculate_majority_sign_mask on ${oracle.majority_sign_mask.length} stacks with zeros and cancellations`, () => {
    expect(oracle.majority_sign_mask.length).toBeGreaterThan(0);
    for (const c of oracle.majority_sign_mask) {
      const masks = calculateMajoritySignMask(c.tensors.map(decodeF32), c.method);
      const expected = list(decodeI32(c.expected));
      expect(masks.flatMap(list)).toEqual(expected);
    }
  });

  it(`task_arithmetic, magnitude_prune, ties, dare_linear(1), dare_ties(1) on ${oracle.merge.length} cases`, () => {
    expect(oracle.merge.length).toBeGreaterThan(0);
    for (const c of oracle.merge) {
      const t = c.tensors.map(decodeF32);
      const random = createSeededRandom(1);
      expect(list(taskArithmetic(t, c.weights))).toEqual(list(decodeF32(c.task_arithmetic)));
      expect(list(magnitudePrune(t, c.weights, c.density))).toEqual(list(decodeF32(c.magnitude_prune)));
      expect(list(ties(t, c.weights, c.density, c.method))).toEqual(list(decodeF32(c.ties)));
      expect(list(dareLinear(t, c.weights, 1, random))).toEqual(list(decodeF32(c.dare_linear_d1)));
      expect(list(dareTies(t, c.weights, 1, random, c.method))).toEqual(list(decodeF32(c.dare_ties_d1)));
    }
  });
});

describe('DARE below density 1 (seeded, not torch RNG): properties', () => {
  const n = 4000;
  const t = [
    new Float32Array(n).map((_, i) => Math.sin(i) + 0.1),
    new Float32Array(n).map((_, i) => Math.cos(i)),
  ];

  it('dareLinear keeps about density of each tensor, rescaled by 1/density', () => {
    const density = 0.4;
    const out = dareLinear([t[0] as Float32Array], [1], density, createSeededRandom(9));
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] !== 0) {
        kept++;
        expect(out[i]).toBeCloseTo((t[0]?.[i] as number) / density, 5);
      }
    }
    expect(Math.abs(kept / n - density)).toBeLessThan(0.03);
  });

  it('same seed → same result, different seed → different result', () => {
    const run = (seed: number) => list(dareTies(t, [0.6, 0.4], 0.5, createSeededRandom(seed), 'total'));
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    const lin = (seed: number) => list(dareLinear(t, [0.6, 0.4], 0.5, createSeededRandom(seed)));
    expect(lin(5)).toEqual(lin(5));
    expect(lin(5)).not.toEqual(lin(6));
  });
});
