import type { KernelOptions } from './backend/backend.js';
import { selectBackend } from './backend/select-backend.js';
import { fromFloat32, toFloat32 } from './convert/convert.js';
import {
  checkBuffer,
  checkF32,
  checkFinite,
  type FloatBuffer,
  type FloatDtype,
  type Weight,
} from './dtype.js';
import { checkPlanWeight, job, type LoraLinear, materialize, planLora, unmergeRounding } from './low-rank.js';

/**
 * A LoRA pair on an `nn.Embedding(numEmbeddings, embeddingDim)`, as PEFT stores it (`lora_embedding_A`,
 * `lora_embedding_B`, no `.weight`). The base weight is `[numEmbeddings, embeddingDim]` and ΔW = (B·A)ᵀ·s.
 */
export interface LoraEmbedding {
  /** `lora_embedding_A`, `[rank, numEmbeddings]`. */
  readonly a: Float32Array;
  /** `lora_embedding_B`, `[embeddingDim, rank]`. */
  readonly b: Float32Array;
  /** r. */
  readonly rank: number;
  /** Rows of the embedding table (vocabulary size). */
  readonly numEmbeddings: number;
  /** Columns of the embedding table. */
  readonly embeddingDim: number;
  /** `lora_alpha / r` (or `/ sqrt(r)` with rsLoRA). */
  readonly scaling: number;
  /** See {@link LoraLinear.adapterDtype}. */
  readonly adapterDtype?: FloatDtype;
}

/** An embedding pair as the linear pair with the same ΔW (`[in, out]` layout = `[V, D]`). @internal */
export function embeddingAsLinear(lora: LoraEmbedding): LoraLinear {
  return {
    a: lora.a,
    b: lora.b,
    rank: lora.rank,
    inFeatures: lora.numEmbeddings,
    outFeatures: lora.embeddingDim,
    scaling: lora.scaling,
    fanInFanOut: true,
    ...(lora.adapterDtype === undefined ? {} : { adapterDtype: lora.adapterDtype }),
  };
}

/**
 * ΔW = s·B·A of a linear LoRA pair, in the base weight's layout: `[out, in]`, or `[in, out]` (transposed) with
 * `fanInFanOut` — PEFT's `get_delta_weight`. The product is PyTorch's f32 FMA chain over r (see {@link matmul}),
 * then one f32 multiplication by `fl(s)`.
 *
 * @param lora - the pair, its shapes and scaling
 * @param options - `backend`
 * @returns ΔW as float32
 * @throws {KernelError} `SHAPE_MISMATCH` / `INVALID_ARGUMENT` for inconsistent shapes or a non-finite scaling
 * @example
 * ```ts
 * const dw = loraDelta({ a, b, rank: 8, inFeatures: 64, outFeatures: 32, scaling: 16 / 8 }); // [32, 64]
 * ```
 */
export function loraDelta(lora: LoraLinear, options: KernelOptions = {}): Float32Array {
  return materialize(planLora('loraDelta', lora), selectBackend(options.backend));
}

/**
 * Merges a LoRA pair into its base weight in place: `W ← cast(fl(W + ΔW))`, ΔW computed in f32 as in
 * {@link loraDelta} and never materialised, one rounding to the weight's dtype — PEFT's `merge()` for f32, f16
 * and bf16 weights (bit-identical to `merge_and_unload()` on CPU).
 *
 * @param weight - `[out, in]`, or `[in, out]` with `fanInFanOut`; changed in place
 * @param lora - the pair
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when the weight's shape does not fit the pair
 * @example
 * ```ts
 * mergeLora({ data: w, dtype: 'f16', rows: 32, cols: 64 }, { a, b, rank: 8, inFeatures: 64, outFeatures: 32, scaling: 2 });
 * ```
 */
export function mergeLora(weight: Weight, lora: LoraLinear, options: KernelOptions = {}): void {
  const plan = planLora('mergeLora', lora);
  checkPlanWeight('mergeLora: weight', weight, plan);
  selectBackend(options.backend).lowRank(job(plan, weight, weight, false, plan.adapterDtype));
}

/**
 * Takes a merged LoRA pair out of its weight in place, as PEFT's `unmerge()`: `W ← cast(fl(W − cast(ΔW)))` (PEFT
 * rounds ΔW to the weight's dtype first).
 *
 * @param weight - the merged weight; changed in place
 * @param lora - the pair that was merged
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when the weight's shape does not fit the pair
 */
export function unmergeLora(weight: Weight, lora: LoraLinear, options: KernelOptions = {}): void {
  const plan = planLora('unmergeLora', lora);
  checkPlanWeight('unmergeLora: weight', weight, plan);
  selectBackend(options.backend).lowRank(job(plan, weight, weight, true, unmergeRounding(plan, weight)));
}

/**
 * ΔW = (B·A)ᵀ·s of an embedding LoRA pair, `[numEmbeddings, embeddingDim]`.
 *
 * @param lora - the pair
 * @param options - `backend`
 * @returns ΔW as float32
 * @throws {KernelError} `SHAPE_MISMATCH` / `INVALID_ARGUMENT` for inconsistent shapes
 */
export function loraEmbeddingDelta(lora: LoraEmbedding, options: KernelOptions = {}): Float32Array {
  return loraDelta(embeddingAsLinear(lora), options);
}

/**
 * Merges an embedding LoRA pair into its `[numEmbeddings, embeddingDim]` table in place (see {@link mergeLora}).
 *
 * @param weight - the embedding table; changed in place
 * @param lora - the pair
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when the table's shape does not fit the pair
 */
export function mergeLoraEmbedding(weight: Weight, lora: LoraEmbedding, options: KernelOptions = {}): void {
  mergeLora(weight, embeddingAsLinear(lora), options);
}

/**
 * Takes a merged embedding LoRA pair out of its table in place (see {@link unmergeLora}).
 *
 * @param weight - the merged table; changed in place
 * @param lora - the pair that was merged
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when the table's shape does not fit the pair
 */
export function unmergeLoraEmbedding(weight: Weight, lora: LoraEmbedding, options: KernelOptions = {}): void {
  unmergeLora(weight, embeddingAsLinear(lora), options);
}

function addScaledBias(
  what: string,
  bias: FloatBuffer,
  loraBias: Float32Array,
  scaling: number,
  sign: 1 | -1,
) {
  checkBuffer(`${what}: bias`, bias);
  checkF32(`${what}: lora_B bias`, loraBias, bias.data.length);
  checkFinite(`${what}: scaling`, scaling);
  const s = Math.fround(scaling);
  const values = toFloat32(bias);
  for (let i = 0; i < values.length; i++) {
    values[i] = (values[i] as number) + sign * Math.fround((loraBias[i] as number) * s);
  }
  if (bias.dtype === 'f32') (bias.data as Float32Array).set(values);
  else (bias.data as Uint16Array).set(fromFloat32(values, bias.dtype) as Uint16Array);
}

/**
 * Merges `lora_B.bias` (`lora_bias=True`) into the base layer's bias in place: `b ← cast(fl(b + fl(b_B·s)))`.
 *
 * @param bias - the base bias, `[outFeatures]`; changed in place
 * @param loraBias - `lora_B.bias`, `[outFeatures]`
 * @param scaling - the pair's scaling
 * @throws {KernelError} `SHAPE_MISMATCH` when the lengths differ
 */
export function mergeLoraBias(bias: FloatBuffer, loraBias: Float32Array, scaling: number): void {
  addScaledBias('mergeLoraBias', bias, loraBias, scaling, 1);
}

/**
 * Takes a merged `lora_B.bias` out of the base bias in place: `b ← cast(fl(b − fl(b_B·s)))`.
 *
 * @param bias - the merged bias; changed in place
 * @param loraBias - `lora_B.bias`
 * @param scaling - the pair's scaling
 * @throws {KernelError} `SHAPE_MISMATCH` when the lengths differ
 */
export function unmergeLoraBias(bias: FloatBuffer, loraBias: Float32Array, scaling: number): void {
  addScaledBias('unmergeLoraBias', bias, loraBias, scaling, -1);
}
