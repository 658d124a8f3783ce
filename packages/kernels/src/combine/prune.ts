import { KernelError } from '../errors.js';
import type { RandomSource } from './seeded-random.js';
import { torchTopkIndices } from './torch-topk.js';

/** How {@link prune} chooses the values to keep: PEFT's `"magnitude"` (top-k by |x|) or `"random"` (DARE). */
export type PruneMethod = 'magnitude' | 'random';

/** Options of {@link prune}. */
export interface PruneOptions {
  /** Divide the kept values by `density` (DARE's rescale); only for `"random"`. @defaultValue false */
  rescale?: boolean;
  /** Uniform [0, 1) source for `"random"` (see `createSeededRandom`); required for that method. */
  random?: RandomSource;
}

/**
 * Keeps the `k = int(density · numel)` values of largest magnitude and zeroes the rest, like PEFT's
 * `magnitude_based_pruning` (ties broken as torch's CPU `topk` breaks them).
 *
 * @param tensor - the values, flattened in row-major order of the tensor PEFT prunes
 * @param density - fraction kept, in [0, 1)
 * @returns a new array: `tensor · mask` in float32
 * @example
 * ```ts
 * magnitudeBasedPruning(Float32Array.of(0.1, -3, 2, 0.5), 0.5); // [0, -3, 2, 0]
 * ```
 */
export function magnitudeBasedPruning(tensor: Float32Array, density: number): Float32Array {
  const n = tensor.length;
  // Python's int() truncates toward zero; density · numel is the same double product in both languages.
  const k = Math.trunc(density * n);
  const magnitudes = new Float32Array(n);
  for (let j = 0; j < n; j++) magnitudes[j] = Math.abs(tensor[j] as number);
  const mask = new Float32Array(n);
  const kept = torchTopkIndices(magnitudes, k);
  for (let j = 0; j < kept.length; j++) mask[kept[j] as number] = 1;
  const out = new Float32Array(n);
  // `tensor * mask` literally, so that an inf outside the top-k becomes NaN as in torch.
  for (let j = 0; j < n; j++) out[j] = (tensor[j] as number) * (mask[j] as number);
  return out;
}

/**
 * Keeps each value with probability `density` (Bernoulli mask) and optionally rescales the kept ones by
 * `1 / density`, like PEFT's `random_pruning` — but drawing from `random`, not torch's RNG.
 *
 * @param tensor - the values
 * @param density - keep probability, in [0, 1)
 * @param rescale - divide the kept values by `density`
 * @param random - uniform [0, 1) source, consumed once per element in order
 * @returns a new array with the pruned (and rescaled) values in float32
 * @example
 * ```ts
 * randomPruning(tensor, 0.3, true, createSeededRandom(1));
 * ```
 */
export function randomPruning(
  tensor: Float32Array,
  density: number,
  rescale: boolean,
  random: RandomSource,
): Float32Array {
  const n = tensor.length;
  const out = new Float32Array(n);
  // torch divides a float32 tensor by the Python scalar cast to float32.
  const divisor = Math.fround(density);
  for (let j = 0; j < n; j++) {
    const keep = random() < density ? 1 : 0;
    const pruned = Math.fround((tensor[j] as number) * keep);
    out[j] = rescale ? pruned / divisor : pruned;
  }
  return out;
}

/**
 * PEFT's `prune(tensor, density, method, rescale)`: no pruning for `density >= 1` (PEFT warns), an error for a
 * negative density, otherwise {@link magnitudeBasedPruning} or {@link randomPruning}.
 *
 * @param tensor - the values, flattened in row-major order
 * @param density - fraction kept
 * @param method - `"magnitude"` or `"random"`
 * @param options - `rescale` and, for `"random"`, the `random` source
 * @returns a new array (a copy when nothing is pruned)
 * @throws {KernelError} `INVALID_DENSITY` when density is negative or NaN; `INVALID_ARGUMENT` when `"random"`
 *   has no `random` source
 * @example
 * ```ts
 * prune(Float32Array.of(1, -2, 3), 2 / 3, 'magnitude'); // [0, -2, 3]
 * ```
 */
export function prune(
  tensor: Float32Array,
  density: number,
  method: PruneMethod,
  options: PruneOptions = {},
): Float32Array {
  checkDensity(density);
  if (density >= 1) return tensor.slice();
  if (method === 'magnitude') return magnitudeBasedPruning(tensor, density);
  if (options.random === undefined) {
    throw new KernelError('INVALID_ARGUMENT', 'random pruning needs a random source (options.random)');
  }
  return randomPruning(tensor, density, options.rescale ?? false, options.random);
}

/**
 * Throws unless `density` is a number PEFT's `prune` accepts (not NaN, not negative).
 *
 * @param density - the density to check
 * @throws {KernelError} `INVALID_DENSITY`
 * @internal
 */
export function checkDensity(density: number | undefined): asserts density is number {
  if (typeof density !== 'number' || Number.isNaN(density)) {
    throw new KernelError('INVALID_DENSITY', `density must be a number; got ${String(density)}`, {
      value: density,
    });
  }
  if (density < 0) {
    throw new KernelError('INVALID_DENSITY', `Density should be >= 0, got ${density}`, { value: density });
  }
}
