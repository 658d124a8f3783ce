import type { Backend, KernelOptions } from './backend/backend.js';
import { selectBackend } from './backend/select-backend.js';
import { checkF32, type Weight } from './dtype.js';
import { embeddingAsLinear, type LoraEmbedding } from './lora.js';
import {
  checkPlanWeight,
  job,
  type LoraLinear,
  type LowRankPlan,
  planLora,
  planRows,
  rowsOf,
} from './low-rank.js';

/** A DoRA adapter on a linear layer: the LoRA pair plus `lora_magnitude_vector`, `[outFeatures]`. */
export interface DoraLinear extends LoraLinear {
  /** `lora_magnitude_vector`, one magnitude per output channel. */
  readonly magnitude: Float32Array;
}

/** A DoRA adapter on an embedding: the pair plus `lora_magnitude_vector`, `[embeddingDim]`. */
export interface DoraEmbedding extends LoraEmbedding {
  /** `lora_magnitude_vector`, one magnitude per embedding column. */
  readonly magnitude: Float32Array;
}

/** Rows of f32 scratch per chunk (bounded to ~8 MB). */
function chunkRows(rows: number, cols: number): number {
  return Math.max(1, Math.min(rows, Math.floor((8 << 20) / Math.max(1, cols * 4))));
}

function prepare(what: string, weight: Weight, lora: LoraLinear): LowRankPlan {
  const plan = planLora(what, lora);
  checkPlanWeight(`${what}: weight`, weight, plan);
  return plan;
}

/** ‖W + ΔW‖₂ per output channel: per row (`[out, in]`) or per column (`fanInFanOut`), computed in f64. */
function channelNorms(weight: Weight, plan: LowRankPlan, perCol: boolean, backend: Backend): Float32Array {
  const { rows, cols } = plan;
  const step = chunkRows(rows, cols);
  const t = new Float32Array(step * cols);
  const sums = perCol ? new Float64Array(cols) : new Float64Array(rows);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const tmp = { data: t.subarray(0, (r1 - r0) * cols), dtype: 'f32' as const };
    const src = rowsOf(weight, cols, r0, r1);
    backend.lowRank(job(planRows(plan, r0, r1), src, tmp, false, plan.adapterDtype));
    if (perCol) backend.colSumSquares(tmp.data, r1 - r0, cols, sums);
    else sums.set(backend.rowSumSquares(tmp.data, r1 - r0, cols), r0);
  }
  return Float32Array.from(sums, Math.sqrt);
}

function factorsOf(magnitude: Float32Array, norms: Float32Array): Float32Array {
  const out = new Float32Array(norms.length);
  for (let i = 0; i < out.length; i++) out[i] = (magnitude[i] as number) / (norms[i] as number);
  return out;
}

/**
 * ‖W + s·B·A‖₂ per output channel, as PEFT's DoRA merge computes it (`get_weight_norm` of W plus the f32 ΔW,
 * per row of the `[out, in]` view, i.e. per column of a `fanInFanOut` `[in, out]` weight). Sums of squares run
 * in f64, so the result is the f32-rounded exact norm; PyTorch's f32 reduction may differ in the last bit.
 *
 * @param weight - the base weight (not changed)
 * @param lora - the LoRA pair
 * @param options - `backend`
 * @returns `[outFeatures]` norms
 * @throws {KernelError} `SHAPE_MISMATCH` when shapes disagree
 */
export function doraWeightNorm(weight: Weight, lora: LoraLinear, options: KernelOptions = {}): Float32Array {
  const plan = prepare('doraWeightNorm', weight, lora);
  return channelNorms(weight, plan, lora.fanInFanOut === true, selectBackend(options.backend));
}

/**
 * DoRA's per-output-channel factor `g = m / ‖W + s·B·A‖` on its own (the adapted layer computes
 * `g ⊙ ((W + s·B·A)·x) + b`).
 *
 * @param weight - the base weight (not changed)
 * @param dora - the DoRA adapter
 * @param options - `backend`
 * @returns `[outFeatures]` factors
 * @throws {KernelError} `SHAPE_MISMATCH` when shapes disagree
 * @example
 * ```ts
 * const g = doraFactor(weight, { a, b, rank: 8, inFeatures: 64, outFeatures: 32, scaling: 2, magnitude });
 * ```
 */
export function doraFactor(weight: Weight, dora: DoraLinear, options: KernelOptions = {}): Float32Array {
  const norms = doraWeightNorm(weight, dora, options);
  checkF32('doraFactor: magnitude', dora.magnitude, norms.length);
  return factorsOf(dora.magnitude, norms);
}

/**
 * Merges a DoRA adapter into its weight in place, as PEFT: `W' = cast(fl(g ⊙ fl(W + ΔW)))` with
 * `g = fl(m / ‖W + ΔW‖)` per output channel (rows of `[out, in]`, columns of a `fanInFanOut` weight).
 *
 * @param weight - the base weight; changed in place
 * @param dora - the DoRA adapter
 * @param options - `backend`
 * @returns the norms ‖W + ΔW‖ used, which {@link unmergeDora} needs (PEFT caches them the same way)
 * @throws {KernelError} `SHAPE_MISMATCH` when shapes disagree
 */
export function mergeDora(weight: Weight, dora: DoraLinear, options: KernelOptions = {}): Float32Array {
  const plan = prepare('mergeDora', weight, dora);
  const perCol = dora.fanInFanOut === true;
  const backend = selectBackend(options.backend);
  checkF32('mergeDora: magnitude', dora.magnitude, perCol ? plan.cols : plan.rows);
  const norms = channelNorms(weight, plan, perCol, backend);
  const factors = factorsOf(dora.magnitude, norms);
  const { rows, cols } = plan;
  const step = chunkRows(rows, cols);
  const t = new Float32Array(step * cols);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const tmp = { data: t.subarray(0, (r1 - r0) * cols), dtype: 'f32' as const };
    const part = rowsOf(weight, cols, r0, r1);
    backend.lowRank(job(planRows(plan, r0, r1), part, tmp, false, plan.adapterDtype));
    const f = perCol ? factors : factors.subarray(r0, r1);
    backend.scale({ src: tmp, dst: part, rows: r1 - r0, cols, factors: f, perCol, divide: false });
  }
  return norms;
}

/**
 * Takes a merged DoRA adapter out of its weight in place, as PEFT: `W = cast(fl(fl(W' / g) − ΔW))` with `g`
 * from the norms {@link mergeDora} returned.
 *
 * @param weight - the merged weight; changed in place
 * @param dora - the DoRA adapter that was merged
 * @param norms - what `mergeDora` returned
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when shapes disagree
 */
export function unmergeDora(
  weight: Weight,
  dora: DoraLinear,
  norms: Float32Array,
  options: KernelOptions = {},
): void {
  const plan = prepare('unmergeDora', weight, dora);
  const perCol = dora.fanInFanOut === true;
  const channels = perCol ? plan.cols : plan.rows;
  checkF32('unmergeDora: magnitude', dora.magnitude, channels);
  checkF32('unmergeDora: norms', norms, channels);
  const backend = selectBackend(options.backend);
  const factors = factorsOf(dora.magnitude, norms);
  const { rows, cols } = plan;
  const step = chunkRows(rows, cols);
  const t = new Float32Array(step * cols);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const tmp = { data: t.subarray(0, (r1 - r0) * cols), dtype: 'f32' as const };
    const part = rowsOf(weight, cols, r0, r1);
    const f = perCol ? factors : factors.subarray(r0, r1);
    backend.scale({ src: part, dst: tmp, rows: r1 - r0, cols, factors: f, perCol, divide: true });
    backend.lowRank(job(planRows(plan, r0, r1), tmp, part, true, plan.adapterDtype));
  }
}

/**
 * Merges a DoRA adapter on an embedding into its `[numEmbeddings, embeddingDim]` table in place; the norms and
 * the factor run per embedding column, as PEFT's `DoraEmbeddingVariant`.
 *
 * @param weight - the embedding table; changed in place
 * @param dora - the adapter
 * @param options - `backend`
 * @returns the norms used (for {@link unmergeDoraEmbedding})
 * @throws {KernelError} `SHAPE_MISMATCH` when shapes disagree
 */
export function mergeDoraEmbedding(
  weight: Weight,
  dora: DoraEmbedding,
  options: KernelOptions = {},
): Float32Array {
  return mergeDora(weight, { ...embeddingAsLinear(dora), magnitude: dora.magnitude }, options);
}

/**
 * Takes a merged embedding DoRA adapter out of its table in place.
 *
 * @param weight - the merged table; changed in place
 * @param dora - the adapter that was merged
 * @param norms - what `mergeDoraEmbedding` returned
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when shapes disagree
 */
export function unmergeDoraEmbedding(
  weight: Weight,
  dora: DoraEmbedding,
  norms: Float32Array,
  options: KernelOptions = {},
): void {
  unmergeDora(weight, { ...embeddingAsLinear(dora), magnitude: dora.magnitude }, norms, options);
}

/**
 * DoRA's factor `m / ‖W + ΔW‖` per embedding column of an embedding adapter.
 *
 * @param weight - the base table (not changed)
 * @param dora - the adapter
 * @param options - `backend`
 * @returns `[embeddingDim]` factors
 * @throws {KernelError} `SHAPE_MISMATCH` when shapes disagree
 */
export function doraEmbeddingFactor(
  weight: Weight,
  dora: DoraEmbedding,
  options: KernelOptions = {},
): Float32Array {
  return doraFactor(weight, { ...embeddingAsLinear(dora), magnitude: dora.magnitude }, options);
}
