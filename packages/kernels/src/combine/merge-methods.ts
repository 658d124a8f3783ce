import { KernelError } from '../errors.js';
import { checkDensity, prune } from './prune.js';
import type { RandomSource } from './seeded-random.js';

/**
 * How TIES elects the sign of each element: `"total"` = sign of the sum of the values, `"frequency"` = sign of
 * the sum of their signs (0 counts as +).
 */
export type MajoritySignMethod = 'total' | 'frequency';

// Every function here works on float32 values and rounds after each operation as torch does on float32 CPU
// tensors: weights become float32 (`torch.tensor(list_of_floats)`), `t * w` is rounded, and sums over the stacked
// dimension run in adapter order.

function checkTensors(tensors: readonly Float32Array[], weights?: readonly number[]): number {
  const first = tensors[0];
  if (first === undefined) {
    throw new KernelError('NO_ADAPTERS', 'no task tensors to merge');
  }
  for (const t of tensors) {
    if (t.length !== first.length) {
      throw new KernelError(
        'SHAPE_MISMATCH',
        `task tensors must have equal sizes to be stacked; got ${first.length} and ${t.length}`,
      );
    }
  }
  if (weights !== undefined && weights.length !== tensors.length) {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `need one weight per task tensor; got ${weights.length} weights for ${tensors.length} tensors`,
    );
  }
  return first.length;
}

function weighted(tensor: Float32Array, weight: number): Float32Array {
  const w = Math.fround(weight);
  const out = new Float32Array(tensor.length);
  for (let j = 0; j < tensor.length; j++) out[j] = (tensor[j] as number) * w;
  return out;
}

function weightedSum(tensors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const n = checkTensors(tensors, weights);
  const out = new Float32Array(n);
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i] as Float32Array;
    const w = Math.fround(weights[i] as number);
    for (let j = 0; j < n; j++) out[j] = (out[j] as number) + Math.fround((t[j] as number) * w);
  }
  return out;
}

/**
 * PEFT's `calculate_majority_sign_mask` over stacked tensors: for each element, whether the tensor's sign equals
 * the majority sign (`sum >= 0 ⇒ +1`, else −1). Zeros never match (their sign is 0).
 *
 * @param tensors - the stacked task tensors (equal lengths)
 * @param method - `"total"` or `"frequency"`
 * @returns one 0/1 mask per tensor
 * @throws {KernelError} `SHAPE_MISMATCH` for unequal lengths, `INVALID_ARGUMENT` for an unknown method
 * @example
 * ```ts
 * calculateMajoritySignMask([Float32Array.of(1, -2), Float32Array.of(-3, 1)], 'total'); // [[0,1],[1,0]]
 * ```
 */
export function calculateMajoritySignMask(
  tensors: readonly Float32Array[],
  method: MajoritySignMethod = 'total',
): Uint8Array[] {
  const n = checkTensors(tensors);
  if (method !== 'total' && method !== 'frequency') {
    throw new KernelError('INVALID_ARGUMENT', `Unimplemented mask method "${String(method)}"`, {
      value: method,
    });
  }
  const magnitude = new Float32Array(n);
  for (const t of tensors) {
    for (let j = 0; j < n; j++) {
      const x = t[j] as number;
      magnitude[j] = (magnitude[j] as number) + (method === 'total' ? x : Math.sign(x));
    }
  }
  return tensors.map((t) => {
    const mask = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      const majority = (magnitude[j] as number) >= 0 ? 1 : -1;
      mask[j] = Math.sign(t[j] as number) === majority ? 1 : 0;
    }
    return mask;
  });
}

/**
 * PEFT's `disjoint_merge`: the mean of the masked values, `Σ tᵢ·maskᵢ / max(Σ maskᵢ, 1)`.
 *
 * @param tensors - the (already weighted) task tensors
 * @param masks - one 0/1 mask per tensor, e.g. from {@link calculateMajoritySignMask}
 * @returns the merged tensor in float32
 * @throws {KernelError} `SHAPE_MISMATCH` when sizes disagree
 * @example
 * ```ts
 * disjointMerge([Float32Array.of(2, 4)], [Uint8Array.of(1, 0)]); // [2, 0]
 * ```
 */
export function disjointMerge(tensors: readonly Float32Array[], masks: readonly Uint8Array[]): Float32Array {
  const n = checkTensors(tensors);
  if (masks.length !== tensors.length || masks.some((m) => m.length !== n)) {
    throw new KernelError('SHAPE_MISMATCH', 'need one mask of the tensors’ size per tensor');
  }
  const sum = new Float32Array(n);
  const count = new Float32Array(n);
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i] as Float32Array;
    const m = masks[i] as Uint8Array;
    for (let j = 0; j < n; j++) {
      sum[j] = (sum[j] as number) + (t[j] as number) * (m[j] as number);
      count[j] = (count[j] as number) + (m[j] as number);
    }
  }
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = (sum[j] as number) / Math.max(count[j] as number, 1);
  return out;
}

/**
 * PEFT's `task_arithmetic`: `Σ wᵢ·tᵢ`.
 *
 * @param tensors - the task tensors (equal lengths)
 * @param weights - one weight per tensor
 * @returns the merged tensor in float32
 * @throws {KernelError} `SHAPE_MISMATCH`, `INVALID_ARGUMENT` (weight count)
 * @example
 * ```ts
 * taskArithmetic([Float32Array.of(1, 2), Float32Array.of(3, 4)], [0.5, 1]); // [3.5, 5]
 * ```
 */
export function taskArithmetic(tensors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  return weightedSum(tensors, weights);
}

/**
 * PEFT's `magnitude_prune`: magnitude-prune each tensor to `density`, then `Σ wᵢ·tᵢ`.
 *
 * @param tensors - the task tensors
 * @param weights - one weight per tensor
 * @param density - fraction of each tensor kept (≥ 1: no pruning)
 * @returns the merged tensor in float32
 * @throws {KernelError} `INVALID_DENSITY`, `SHAPE_MISMATCH`
 * @example
 * ```ts
 * magnitudePrune([Float32Array.of(1, -4)], [2], 0.5); // [0, -8]
 * ```
 */
export function magnitudePrune(
  tensors: readonly Float32Array[],
  weights: readonly number[],
  density: number,
): Float32Array {
  checkDensity(density);
  checkTensors(tensors, weights);
  return weightedSum(
    tensors.map((t) => prune(t, density, 'magnitude')),
    weights,
  );
}

/**
 * PEFT's `ties`: magnitude-prune, elect the majority sign per element, then the disjoint mean of the weighted
 * values that agree with it.
 *
 * @param tensors - the task tensors
 * @param weights - one weight per tensor
 * @param density - fraction of each tensor kept (≥ 1: no pruning)
 * @param method - majority sign method
 * @returns the merged tensor in float32
 * @throws {KernelError} `INVALID_DENSITY`, `SHAPE_MISMATCH`
 * @example
 * ```ts
 * ties([Float32Array.of(1, -2), Float32Array.of(3, 2)], [1, 1], 1); // [2, 2]
 * ```
 */
export function ties(
  tensors: readonly Float32Array[],
  weights: readonly number[],
  density: number,
  method: MajoritySignMethod = 'total',
): Float32Array {
  checkDensity(density);
  checkTensors(tensors, weights);
  return electAndMerge(
    tensors.map((t) => prune(t, density, 'magnitude')),
    weights,
    method,
  );
}

/**
 * PEFT's `dare_linear`: random-prune each tensor to `density` with rescale `1/density`, then `Σ wᵢ·tᵢ`. With
 * `density >= 1` nothing is pruned and the result equals PEFT's exactly; below 1 the masks come from `random`.
 *
 * @param tensors - the task tensors
 * @param weights - one weight per tensor
 * @param density - keep probability (≥ 1: no pruning)
 * @param random - uniform [0, 1) source (only used when density < 1)
 * @returns the merged tensor in float32
 * @throws {KernelError} `INVALID_DENSITY`, `SHAPE_MISMATCH`
 * @example
 * ```ts
 * dareLinear(tensors, [0.7, 0.3], 0.5, createSeededRandom(0));
 * ```
 */
export function dareLinear(
  tensors: readonly Float32Array[],
  weights: readonly number[],
  density: number,
  random: RandomSource,
): Float32Array {
  checkDensity(density);
  checkTensors(tensors, weights);
  return weightedSum(
    tensors.map((t) => prune(t, density, 'random', { rescale: true, random })),
    weights,
  );
}

/**
 * PEFT's `dare_ties`: random-prune with rescale, elect the majority sign, disjoint mean of the weighted values.
 *
 * @param tensors - the task tensors
 * @param weights - one weight per tensor
 * @param density - keep probability (≥ 1: no pruning)
 * @param random - uniform [0, 1) source (only used when density < 1)
 * @param method - majority sign method
 * @returns the merged tensor in float32
 * @throws {KernelError} `INVALID_DENSITY`, `SHAPE_MISMATCH`
 * @example
 * ```ts
 * dareTies(tensors, [0.7, 0.3], 0.5, createSeededRandom(0), 'total');
 * ```
 */
export function dareTies(
  tensors: readonly Float32Array[],
  weights: readonly number[],
  density: number,
  random: RandomSource,
  method: MajoritySignMethod = 'total',
): Float32Array {
  checkDensity(density);
  checkTensors(tensors, weights);
  return electAndMerge(
    tensors.map((t) => prune(t, density, 'random', { rescale: true, random })),
    weights,
    method,
  );
}

function electAndMerge(
  pruned: readonly Float32Array[],
  weights: readonly number[],
  method: MajoritySignMethod,
): Float32Array {
  const masks = calculateMajoritySignMask(pruned, method);
  return disjointMerge(
    pruned.map((t, i) => weighted(t, weights[i] as number)),
    masks,
  );
}
