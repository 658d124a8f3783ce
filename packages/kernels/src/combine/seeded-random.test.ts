import { describe, expect, it } from 'vitest';
import { createSeededRandom, deriveSeed } from './seeded-random.js';

describe('createSeededRandom', () => {
  it('is reproducible per seed, differs across seeds, stays in [0, 1) and is roughly uniform', () => {
    const a = createSeededRandom(123);
    const b = createSeededRandom(123);
    const c = createSeededRandom(124);
    const xs = Array.from({ length: 50_000 }, () => a());
    expect(xs.slice(0, 100)).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.slice(0, 100)).not.toEqual(Array.from({ length: 100 }, () => c()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const below = xs.filter((x) => x < 0.25).length / xs.length;
    expect(Math.abs(below - 0.25)).toBeLessThan(0.01);
  });

  it('accepts negative and large safe integers, rejects others', () => {
    expect(createSeededRandom(-1)()).not.toBe(createSeededRandom(2 ** 40)());
    expect(() => createSeededRandom(0.5)).toThrow(/safe integer/);
  });
});

describe('deriveSeed', () => {
  it('gives distinct, reproducible seeds per key', () => {
    const q = deriveSeed(7, 'model.layers.0.self_attn.q_proj');
    expect(q).toBe(deriveSeed(7, 'model.layers.0.self_attn.q_proj'));
    expect(q).not.toBe(deriveSeed(7, 'model.layers.0.self_attn.v_proj'));
    expect(q).not.toBe(deriveSeed(8, 'model.layers.0.self_attn.q_proj'));
    expect(Number.isInteger(q) && q >= 0 && q < 2 ** 32).toBe(true);
  });
});
