import type { RandomSource } from '@peftjs/kernels';
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

/** A source of uniform numbers in [0, 1) (`@peftjs/kernels`' seeded xoshiro128** when a seed is given). */
export type Random = RandomSource;

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
