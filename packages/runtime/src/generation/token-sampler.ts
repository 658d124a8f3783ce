import type { ResolvedGeneration } from './generation-config.js';
import {
  applyMinNewTokens,
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  argmax,
  softmax,
} from './logits-processors.js';

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32): the same seed gives the same
 * numbers on every platform.
 *
 * @param seed - any integer
 * @returns numbers uniform in [0, 1)
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 0x1_0000_0000;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Picks one row's next token as transformers' `generate` does: repetition penalty and minimum length, then
 * greedy argmax, or temperature → top-k → top-p → min-p and a draw from the softmax.
 *
 * @param logits - the row's next-token logits (not changed)
 * @param sequence - the row's ids so far (padded prompt and generated)
 * @param generated - how many tokens the row has generated
 * @param settings - resolved generation settings
 * @param random - the sampler's random numbers (used only when sampling)
 * @returns the token id
 */
export function pickToken(
  logits: Float32Array,
  sequence: readonly number[],
  generated: number,
  settings: ResolvedGeneration,
  random: Random,
): number {
  const scores = processScores(Float32Array.from(logits), sequence, generated, settings);
  return settings.doSample ? draw(softmax(scores), random()) : argmax(scores);
}

/**
 * Applies the processors `generate()` builds, in its order: repetition penalty and minimum length, then (when
 * sampling) temperature, top-k, top-p and min-p.
 *
 * @param scores - one row of next-token scores, changed in place
 * @param sequence - the row's ids so far
 * @param generated - how many tokens the row has generated
 * @param settings - resolved generation settings
 * @returns `scores`
 */
export function processScores(
  scores: Float32Array,
  sequence: readonly number[],
  generated: number,
  settings: ResolvedGeneration,
): Float32Array {
  applyRepetitionPenalty(scores, sequence, settings.repetitionPenalty);
  applyMinNewTokens(scores, generated, settings.minNewTokens, settings.eosTokenIds);
  if (!settings.doSample) return scores;
  applyTemperature(scores, settings.temperature);
  applyTopK(scores, settings.topK);
  applyTopP(scores, settings.topP);
  if (settings.minP !== undefined) applyMinP(scores, settings.minP);
  return scores;
}

/**
 * The token whose cumulative probability first exceeds `u` (inverse transform sampling).
 *
 * @param probs - probabilities summing to 1
 * @param u - uniform in [0, 1)
 * @returns the token id (the last token with probability > 0 when rounding leaves `u` above the total)
 */
export function draw(probs: Float64Array, u: number): number {
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    if (p <= 0) continue;
    cumulative += p;
    last = i;
    if (u < cumulative) return i;
  }
  return last;
}
