import { readdirSync, readFileSync } from 'node:fs';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { isSvdCombination } from './combination-types.js';
import { combinedLoraConfigChanges } from './combine-config.js';
import { combineLoraLayer } from './combine-lora-layer.js';
import { clampSvdFactors } from './svd-clamp.js';
import { allCalls, type FixtureCall, type FixtureLayer } from './testdata/fixture-cases.js';
import { alignSigns, product } from './testdata/fixture-helpers.js';

const read = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(fixturePath(...parts)));
const LORA_SETS = ['gpt2-lora-conv1d', 'llama-lora-ranks', 'llama-lora-same-rank'];
const calls = allCalls(read, LORA_SETS, (set) =>
  readdirSync(fixturePath('generated', 'combine', set, 'results')).sort(),
);

function combine(call: FixtureCall, layer: FixtureLayer, withClamp = true) {
  const { changes, combinationType } = combinedLoraConfigChanges(
    call.sourceConfigs,
    call.params.combination_type,
    call.params.svd_rank,
  );
  const p = call.params;
  return combineLoraLayer({
    adapters: layer.adapters,
    type: combinationType,
    newRank: changes.r,
    fanInFanOut: layer.fanInFanOut,
    embedding: layer.embedding,
    ...(p.density === undefined ? {} : { density: p.density }),
    ...(p.majority_sign_method === undefined ? {} : { majoritySignMethod: p.majority_sign_method }),
    ...(p.svd_clamp === undefined || !withClamp ? {} : { svdClamp: p.svd_clamp }),
  });
}

/** Entries whose bits differ, counting ±0 as equal from row `padFrom` on (rows of `cols` values). */
function bitDifferences(ours: Float32Array, theirs: Float32Array, cols: number, padFrom: number): number {
  if (ours.length !== theirs.length) return Number.POSITIVE_INFINITY;
  let count = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i] as number;
    const b = theirs[i] as number;
    if (!Object.is(a, b) && !(a === 0 && b === 0 && Math.floor(i / cols) >= padFrom)) count++;
  }
  return count;
}

/** Our singular components whose σ (norm of B's column) is clearly above float32 noise. */
function significant(B: Float32Array, out: number, r: number): boolean[] {
  const norms = Array.from({ length: r }, (_, t) => {
    let sum = 0;
    for (let o = 0; o < out; o++) sum += (B[o * r + t] as number) ** 2;
    return Math.sqrt(sum);
  });
  const top = Math.max(...norms);
  return norms.map((s) => s > 1e-4 * top);
}

function rows(x: Float32Array, cols: number, keep: boolean[]): number[] {
  return keep.flatMap((k, t) => (k ? Array.from(x.subarray(t * cols, (t + 1) * cols)) : []));
}

function cols(x: Float32Array, r: number, keep: boolean[]): number[] {
  const out: number[] = [];
  for (let o = 0; o < x.length / r; o++) {
    for (let t = 0; t < r; t++) if (keep[t]) out.push(x[o * r + t] as number);
  }
  return out;
}

describe('combineLoraLayer against PEFT 0.21 add_weighted_adapter fixtures', () => {
  it('loads every fixture call', () => {
    expect(calls.length).toBe(24);
    expect(calls.every((c) => c.layers.length > 0)).toBe(true);
  });

  for (const call of calls.filter((c) => !isSvdCombination(c.params.combination_type))) {
    it(`${call.label}: A and B equal PEFT's bit for bit`, () => {
      for (const layer of call.layers) {
        const ours = combine(call, layer);
        expect(ours.r).toBe(layer.expectedA.shape[0]);
        // cat pads A with rows PEFT gets from `random_init * 0.0`, so their zeros carry the init's signs.
        const padFrom =
          call.params.combination_type === 'cat' ? layer.adapters.reduce((n, ad) => n + ad.r, 0) : ours.r;
        expect(bitDifferences(ours.A, layer.expectedA.data, layer.expectedA.shape[1]!, padFrom)).toBe(0);
        expect(bitDifferences(ours.B, layer.expectedB.data, 1, Number.POSITIVE_INFINITY)).toBe(0);
      }
    });
  }

  for (const call of calls.filter((c) => isSvdCombination(c.params.combination_type))) {
    const clamped = call.params.svd_clamp !== undefined;
    it(`${call.label}: B·A equals PEFT's within 1e-5, and A/B after per-component sign alignment`, () => {
      for (const layer of call.layers) {
        const out = layer.expectedB.shape[0]!;
        const inF = layer.expectedA.shape[1]!;
        const r = layer.expectedA.shape[0]!;
        const unclamped = combine(call, layer, false);
        expect(unclamped.r).toBe(r);
        const aligned = alignSigns(unclamped, { A: layer.expectedA.data }, r, inF, out);
        const final = clamped
          ? { ...clampSvdFactors(aligned, call.params.svd_clamp!), r }
          : { ...aligned, r };
        const keep = significant(final.B, out, r);
        expect(
          maxAbsDiff(
            product(final.B, final.A, out, r, inF),
            product(layer.expectedB.data, layer.expectedA.data, out, r, inF),
          ),
        ).toBeLessThanOrEqual(TOLERANCE.weights);
        expect(
          maxAbsDiff(rows(final.A, inF, keep), rows(layer.expectedA.data, inF, keep)),
        ).toBeLessThanOrEqual(TOLERANCE.weights);
        expect(maxAbsDiff(cols(final.B, r, keep), cols(layer.expectedB.data, r, keep))).toBeLessThanOrEqual(
          TOLERANCE.weights,
        );
        if (!clamped) {
          // Without clamping the product is sign-invariant: our own signs give PEFT's B·A within 1e-6.
          const direct = combine(call, layer);
          expect(
            maxAbsDiff(product(direct.B, direct.A, out, r, inF), product(final.B, final.A, out, r, inF)),
          ).toBeLessThanOrEqual(1e-6);
          expect(
            maxAbsDiff(
              product(direct.B, direct.A, out, r, inF),
              product(layer.expectedB.data, layer.expectedA.data, out, r, inF),
            ),
          ).toBeLessThanOrEqual(1e-6);
        }
      }
    });
  }
});
