import type { KernelOptions } from './backend/backend.js';
import { selectBackend } from './backend/select-backend.js';
import { checkF32, checkFinite, checkSize, type Weight } from './dtype.js';
import { checkPlanWeight, job, type LowRankPlan, materialize, planLora } from './low-rank.js';

/**
 * An AdaLoRA triplet on a linear layer, as PEFT saves it (keys `lora_A`, `lora_E`, `lora_B`, no `.weight`; the
 * saved tensors are already cut to the ranks `rank_pattern` kept).
 */
export interface AdaloraLinear {
  /** `lora_A`, `[rank, inFeatures]`. */
  readonly a: Float32Array;
  /** `lora_E`, `[rank, 1]` (or flat `[rank]`). */
  readonly e: Float32Array;
  /** `lora_B`, `[outFeatures, rank]`. */
  readonly b: Float32Array;
  /** Kept rank (rows of A). May be 0. */
  readonly rank: number;
  /** Input features of the base layer. */
  readonly inFeatures: number;
  /** Output features of the base layer. */
  readonly outFeatures: number;
  /** AdaLoRA's `scaling`: `lora_alpha` (or `init_r` when `lora_alpha <= 0`), not divided by r. */
  readonly scaling: number;
  /** `ranknum`: `init_r` from the config (PEFT keeps it at the initial rank after loading). */
  readonly ranknum: number;
  /** True when the base weight is stored `[in, out]` (GPT-2 `Conv1D`). */
  readonly fanInFanOut?: boolean;
}

/** Checks a triplet and returns P, Q, scale and divisor of its ΔW. @internal */
export function planAdalora(what: string, ada: AdaloraLinear): LowRankPlan {
  checkSize(`${what}: rank`, ada.rank);
  checkSize(`${what}: inFeatures`, ada.inFeatures);
  checkF32(`${what}: lora_A [${ada.rank}, ${ada.inFeatures}]`, ada.a, ada.rank * ada.inFeatures);
  checkF32(`${what}: lora_E [${ada.rank}, 1]`, ada.e, ada.rank);
  checkFinite(`${what}: ranknum`, ada.ranknum);
  // A ⊙ E (row k of A times E[k]), one f32 multiplication each, as PyTorch
  const ae = new Float32Array(ada.a.length);
  for (let k = 0; k < ada.rank; k++) {
    const e = ada.e[k] as number;
    for (let j = 0; j < ada.inFeatures; j++) {
      const at = k * ada.inFeatures + j;
      ae[at] = (ada.a[at] as number) * e;
    }
  }
  const plan = planLora(what, {
    a: ae,
    b: ada.b,
    rank: ada.rank,
    inFeatures: ada.inFeatures,
    outFeatures: ada.outFeatures,
    scaling: ada.scaling,
    fanInFanOut: ada.fanInFanOut ?? false,
  });
  // `ranknum + 1e-5` is an f32 tensor plus a Python float: both rounded to f32, one f32 addition
  return { ...plan, divisor: Math.fround(Math.fround(ada.ranknum) + Math.fround(1e-5)) };
}

/**
 * ΔW = B·(A ⊙ E)·scaling / (ranknum + 1e-5) of an AdaLoRA triplet, in the base weight's layout (PEFT's
 * `get_delta_weight`: FMA chain over r, then one f32 multiplication and one f32 division).
 *
 * @param ada - the triplet
 * @param options - `backend`
 * @returns ΔW as float32, `[out, in]` or `[in, out]` with `fanInFanOut`
 * @throws {KernelError} `SHAPE_MISMATCH` / `INVALID_ARGUMENT` for inconsistent shapes or values
 * @example
 * ```ts
 * const dw = adaloraDelta({ a, e, b, rank: 3, inFeatures: 16, outFeatures: 16, scaling: 8, ranknum: 6 });
 * ```
 */
export function adaloraDelta(ada: AdaloraLinear, options: KernelOptions = {}): Float32Array {
  return materialize(planAdalora('adaloraDelta', ada), selectBackend(options.backend));
}

/**
 * Merges an AdaLoRA triplet into its weight in place: `W ← cast(fl(W + ΔW))`.
 *
 * @param weight - `[out, in]` (or `[in, out]` with `fanInFanOut`); changed in place
 * @param ada - the triplet
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when the weight's shape does not fit
 */
export function mergeAdalora(weight: Weight, ada: AdaloraLinear, options: KernelOptions = {}): void {
  const plan = planAdalora('mergeAdalora', ada);
  checkPlanWeight('mergeAdalora: weight', weight, plan);
  selectBackend(options.backend).lowRank(job(plan, weight, weight, false, 'f32'));
}

/**
 * Takes a merged AdaLoRA triplet out of its weight in place: `W ← cast(fl(W − ΔW))` (unlike LoRA, PEFT's AdaLoRA
 * does not round ΔW to the weight's dtype first).
 *
 * @param weight - the merged weight; changed in place
 * @param ada - the triplet that was merged
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when the weight's shape does not fit
 */
export function unmergeAdalora(weight: Weight, ada: AdaloraLinear, options: KernelOptions = {}): void {
  const plan = planAdalora('unmergeAdalora', ada);
  checkPlanWeight('unmergeAdalora: weight', weight, plan);
  selectBackend(options.backend).lowRank(job(plan, weight, weight, true, 'f32'));
}
