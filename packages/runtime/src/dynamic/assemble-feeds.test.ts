import type { AdapterBranch } from '@peftjs/onnx';
import { describe, expect, it } from 'vitest';
import { ia3Feed, lowRankFeeds } from './assemble-feeds.js';
import type { PreparedLowRank } from './prepare-layer.js';

const IN = 3;
const OUT = 2;

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  });
}

/** A prepared layer: at `[in, r]`, bt `[r, out]` (scaling folded), optional DoRA factor g. */
function term(rank: number, seed: number, g?: Float32Array): PreparedLowRank {
  const bt = seeded(rank * OUT, seed + 1);
  const solo = g ? bt.map((v, i) => v * (g[i % OUT] as number)) : bt;
  return { rank, at: seeded(IN * rank, seed), bt, solo, ...(g ? { g } : {}) };
}

const branch = {
  inFeatures: IN,
  outFeatures: OUT,
  feedforward: false,
  inputs: { A: 'A', B: 'B', g: 'g', ia3: 'ia3' },
} as unknown as AdapterBranch;

/** PEFT's eval forward for one slot (x·W given): z ← g ⊙ z + g ⊙ Δ for DoRA layers, z ← z + Δ for LoRA ones. */
function peft(x: Float32Array, xw: Float32Array, terms: readonly PreparedLowRank[]): number[] {
  let z = Array.from(xw);
  for (const t of terms) {
    const delta = Array.from({ length: OUT }, (_, o) => {
      let sum = 0;
      for (let c = 0; c < t.rank; c++) {
        let xa = 0;
        for (let i = 0; i < IN; i++) xa += (x[i] as number) * (t.at[i * t.rank + c] as number);
        sum += xa * (t.bt[c * OUT + o] as number);
      }
      return sum;
    });
    z = z.map((v, o) => (t.g ? (t.g[o] as number) * (v + (delta[o] as number)) : v + (delta[o] as number)));
  }
  return z;
}

/** What the rewritten graph computes from the feeds for a row in `slot`: g ⊙ x·W + (x·A)·B. */
function graph(
  feeds: ReturnType<typeof lowRankFeeds>,
  x: Float32Array,
  xw: Float32Array,
  slot: number,
): number[] {
  const [, n, R] = (feeds.A?.dims ?? []) as [number, number, number];
  const A = feeds.A?.data as Float32Array;
  const B = feeds.B?.data as Float32Array;
  const g = feeds.g?.data as Float32Array;
  return Array.from({ length: OUT }, (_, o) => {
    let y = (xw[o] as number) * (g[slot * OUT + o] as number);
    for (let c = 0; c < R; c++) {
      let xa = 0;
      for (let i = 0; i < IN; i++) xa += (x[i] as number) * (A[(i * n + slot) * R + c] as number);
      y += xa * (B[(slot * R + c) * OUT + o] as number);
    }
    return y;
  });
}

describe('lowRankFeeds', () => {
  it('reproduces PEFT’s sequential DoRA/LoRA sum per slot, ranks zero-padded', () => {
    const d1 = term(1, 10, Float32Array.of(1.5, 0.5));
    const l2 = term(2, 20);
    const d3 = term(2, 30, Float32Array.of(0.8, 1.25));
    const slots = [[d1, l2, d3], [l2], []];
    const feeds = lowRankFeeds(branch, slots);
    expect(feeds.A?.dims).toEqual([IN, 3, 5]);
    expect(feeds.B?.dims).toEqual([3, 5, OUT]);
    expect(Array.from(feeds.g?.data as Float32Array)).toEqual(
      [1.5 * 0.8, 0.5 * 1.25, 1, 1, 1, 1].map(Math.fround),
    );
    const x = seeded(IN, 40);
    const xw = seeded(OUT, 50);
    slots.forEach((terms, j) => {
      const want = peft(x, xw, terms);
      graph(feeds, x, xw, j).forEach((v, o) => {
        expect(v).toBeCloseTo(want[o] as number, 6);
      });
    });
  });

  it('feeds a single layer from its prepared arrays without copies', () => {
    const only = term(2, 60, Float32Array.of(2, 3));
    const feeds = lowRankFeeds(branch, [[only]]);
    expect(feeds.A?.data).toBe(only.at);
    expect(feeds.B?.data).toBe(only.solo);
    expect(feeds.g?.data).toBe(only.g);
    expect(lowRankFeeds(branch, [[]]).A?.dims).toEqual([IN, 1, 0]);
  });
});

describe('ia3Feed', () => {
  it('multiplies the vectors of a slot (PEFT’s product over active IA³ adapters), ones for none', () => {
    const feed = ia3Feed(branch, [[Float32Array.of(2, 3), Float32Array.of(0.5, 2)], []]).ia3;
    expect(feed?.dims).toEqual([2, OUT]);
    expect(Array.from(feed?.data as Float32Array)).toEqual([1, 6, 1, 1]);
  });
});
