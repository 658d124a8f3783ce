/**
 * transformers' logits processors and warpers on one row of next-token scores, in float32 as torch computes them.
 * Each changes `scores` in place; removed tokens become `-Infinity`.
 */

const f32 = Math.fround;

/**
 * `RepetitionPenaltyLogitsProcessor`: each token already in `sequence` (prompt and generated, padding included,
 * as transformers does) gets `score / penalty` when positive, `score * penalty` when negative.
 *
 * @param scores - next-token scores of one row
 * @param sequence - the row's token ids so far
 * @param penalty - the penalty (1: none)
 */
export function applyRepetitionPenalty(
  scores: Float32Array,
  sequence: readonly number[],
  penalty: number,
): void {
  if (penalty === 1) return;
  const p = f32(penalty);
  const seen = new Set(sequence);
  for (const id of seen) {
    const score = scores[id];
    if (score === undefined) continue;
    scores[id] = score < 0 ? f32(score * p) : f32(score / p);
  }
}

/**
 * `MinNewTokensLengthLogitsProcessor`: forbids the end-of-sequence tokens until `minNewTokens` were generated.
 *
 * @param scores - next-token scores of one row
 * @param generated - tokens generated so far
 * @param minNewTokens - the minimum
 * @param eosTokenIds - the ids that end a sequence
 */
export function applyMinNewTokens(
  scores: Float32Array,
  generated: number,
  minNewTokens: number,
  eosTokenIds: readonly number[],
): void {
  if (generated >= minNewTokens) return;
  for (const id of eosTokenIds) if (id < scores.length) scores[id] = Number.NEGATIVE_INFINITY;
}

/**
 * `TemperatureLogitsWarper`: divides every score by the temperature.
 *
 * @param scores - next-token scores of one row
 * @param temperature - > 0
 */
export function applyTemperature(scores: Float32Array, temperature: number): void {
  if (temperature === 1) return;
  const t = f32(temperature);
  for (let i = 0; i < scores.length; i++) scores[i] = f32((scores[i] as number) / t);
}

/**
 * `TopKLogitsWarper`: keeps the tokens scoring at least the k-th best score (ties at the threshold stay).
 *
 * @param scores - next-token scores of one row
 * @param topK - k (0: keep all)
 * @param minKeep - tokens kept at least
 */
export function applyTopK(scores: Float32Array, topK: number, minKeep = 1): void {
  if (topK <= 0) return;
  const k = Math.min(Math.max(topK, minKeep), scores.length);
  if (k >= scores.length) return;
  const sorted = Float32Array.from(scores).sort().reverse();
  const threshold = sorted[k - 1] as number;
  for (let i = 0; i < scores.length; i++) {
    if ((scores[i] as number) < threshold) scores[i] = Number.NEGATIVE_INFINITY;
  }
}

/** Softmax of `scores` in float64 (probabilities of removed tokens are 0). */
export function softmax(scores: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const s of scores) if (s > max) max = s;
  const probs = new Float64Array(scores.length);
  if (max === Number.NEGATIVE_INFINITY) return probs;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = Math.exp((scores[i] as number) - max);
    probs[i] = e;
    sum += e;
  }
  for (let i = 0; i < probs.length; i++) probs[i] = (probs[i] as number) / sum;
  return probs;
}

/** Token indices ordered by score, ascending (ties by index). */
function ascendingOrder(scores: Float32Array): Uint32Array {
  const order = Uint32Array.from(scores.keys());
  return order.sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
}

/**
 * `TopPLogitsWarper` (nucleus): removes the least likely tokens whose cumulative probability stays at most
 * `1 − topP`, keeping at least `minKeep`.
 *
 * @param scores - next-token scores of one row
 * @param topP - in (0, 1]; 1 keeps all
 * @param minKeep - tokens kept at least
 */
export function applyTopP(scores: Float32Array, topP: number, minKeep = 1): void {
  if (topP >= 1) return;
  const order = ascendingOrder(scores);
  const probs = softmax(scores);
  let cumulative = 0;
  const removable = order.length - minKeep;
  for (let r = 0; r < removable; r++) {
    const id = order[r] as number;
    cumulative += probs[id] as number;
    if (cumulative > 1 - topP) break;
    scores[id] = Number.NEGATIVE_INFINITY;
  }
}

/**
 * `MinPLogitsWarper`: removes tokens whose probability is below `minP` × the most likely token's.
 *
 * @param scores - next-token scores of one row
 * @param minP - in [0, 1]
 * @param minKeep - tokens kept at least
 */
export function applyMinP(scores: Float32Array, minP: number, minKeep = 1): void {
  const probs = softmax(scores);
  let top = 0;
  for (const p of probs) if (p > top) top = p;
  const threshold = minP * top;
  const order = ascendingOrder(scores);
  const removable = order.length - minKeep;
  for (let r = 0; r < removable; r++) {
    const id = order[r] as number;
    if ((probs[id] as number) >= threshold) break;
    scores[id] = Number.NEGATIVE_INFINITY;
  }
}

/**
 * The most likely token: the first index of the largest score (`torch.argmax`), NaN scores ignored.
 *
 * @param scores - next-token scores of one row
 * @returns the token id
 */
export function argmax(scores: Float32Array): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}
