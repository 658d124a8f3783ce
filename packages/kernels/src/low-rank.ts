import type { Backend, LowRankJob } from './backend/backend.js';
import {
  checkF32,
  checkFinite,
  checkSize,
  checkWeight,
  type FloatBuffer,
  type FloatDtype,
  isFloatDtype,
  type Weight,
} from './dtype.js';
import { KernelError } from './errors.js';
import { transpose } from './matmul.js';

/**
 * A LoRA pair on a linear layer (`nn.Linear`, or GPT-2 `Conv1D` with `fanInFanOut`), as PEFT stores it.
 */
export interface LoraLinear {
  /** `lora_A.weight`, `[rank, inFeatures]` row-major. */
  readonly a: Float32Array;
  /** `lora_B.weight`, `[outFeatures, rank]` row-major. */
  readonly b: Float32Array;
  /** r (rows of A, columns of B). */
  readonly rank: number;
  /** Input features of the base layer. */
  readonly inFeatures: number;
  /** Output features of the base layer. */
  readonly outFeatures: number;
  /** PEFT's `scaling`: `lora_alpha / r`, or `lora_alpha / sqrt(r)` with rsLoRA (rounded to f32 when applied). */
  readonly scaling: number;
  /** True when the base weight is stored `[in, out]` (GPT-2 `Conv1D`); ΔW is then transposed. */
  readonly fanInFanOut?: boolean;
  /**
   * The dtype PEFT held the adapter in. `'f32'` (default) is what `PeftModel` uses (it up-casts f16/bf16
   * adapters); with `'f16'`/`'bf16'` (transformers' `load_adapter` keeps the base dtype) PEFT rounds ΔW to that
   * dtype before adding it, and so does the kernel.
   */
  readonly adapterDtype?: FloatDtype;
}

/** ΔW = scale/divisor · P·Q over a `[rows, cols]` weight: how every additive adapter reaches the kernel. */
export interface LowRankPlan {
  readonly rows: number;
  readonly cols: number;
  /** `[rows, rank]`. */
  readonly p: Float32Array;
  /** `[rank, cols]`. */
  readonly q: Float32Array;
  readonly rank: number;
  readonly scale: number;
  readonly divisor: number;
  /** Dtype ΔW is rounded to before it is added (`'f32'`: not rounded). */
  readonly adapterDtype: FloatDtype;
}

/** Checks a LoRA pair and returns P, Q with ΔW (in the base weight's layout) = s·P·Q. @internal */
export function planLora(what: string, lora: LoraLinear): LowRankPlan {
  const { rank, inFeatures, outFeatures } = lora;
  checkSize(`${what}: rank`, rank);
  checkSize(`${what}: inFeatures`, inFeatures);
  checkSize(`${what}: outFeatures`, outFeatures);
  checkF32(`${what}: lora A [${rank}, ${inFeatures}]`, lora.a, rank * inFeatures);
  checkF32(`${what}: lora B [${outFeatures}, ${rank}]`, lora.b, outFeatures * rank);
  checkFinite(`${what}: scaling`, lora.scaling);
  const adapterDtype = lora.adapterDtype ?? 'f32';
  if (!isFloatDtype(adapterDtype)) {
    throw new KernelError(
      'UNSUPPORTED_DTYPE',
      `${what}: adapterDtype must be 'f32', 'f16' or 'bf16'; got ${JSON.stringify(adapterDtype)}`,
    );
  }
  const common = { rank, scale: lora.scaling, divisor: 1, adapterDtype };
  if (!lora.fanInFanOut) return { ...common, rows: outFeatures, cols: inFeatures, p: lora.b, q: lora.a };
  // ΔW[i, o] = Σ_k A[k, i]·B[o, k]: the same products, in the same order, as (B·A)ᵀ
  return {
    ...common,
    rows: inFeatures,
    cols: outFeatures,
    p: transpose(lora.a, rank, inFeatures),
    q: transpose(lora.b, outFeatures, rank),
  };
}

/** A zero-filled f32 `[rows, cols]` buffer with ΔW added: ΔW itself. @internal */
export function materialize(plan: LowRankPlan, backend: Backend): Float32Array {
  const data = new Float32Array(plan.rows * plan.cols);
  const buffer = { data, dtype: 'f32' as const };
  backend.lowRank(job(plan, buffer, buffer, false, plan.adapterDtype));
  return data;
}

/** The kernel job applying `plan` to rows of `src` into `dst`. @internal */
export function job(
  plan: LowRankPlan,
  src: FloatBuffer,
  dst: FloatBuffer,
  subtract: boolean,
  roundDelta: FloatDtype,
): LowRankJob {
  return { ...plan, src, dst, subtract, roundDelta };
}

/** Checks that `weight` has the plan's shape. @internal */
export function checkPlanWeight(what: string, weight: Weight, plan: LowRankPlan): void {
  checkWeight(what, weight, plan.rows, plan.cols);
}

/** The dtype ΔW is rounded to on unmerge: PEFT subtracts `delta.to(weight.dtype)`. @internal */
export function unmergeRounding(plan: LowRankPlan, weight: Weight): FloatDtype {
  return plan.adapterDtype !== 'f32' ? plan.adapterDtype : weight.dtype;
}

/** Rows `[r0, r1)` of a buffer with `cols` columns, as a view. @internal */
export function rowsOf<T extends FloatBuffer>(buffer: T, cols: number, r0: number, r1: number): FloatBuffer {
  return { data: buffer.data.subarray(r0 * cols, r1 * cols), dtype: buffer.dtype };
}

/** `plan` restricted to rows `[r0, r1)`. @internal */
export function planRows(plan: LowRankPlan, r0: number, r1: number): LowRankPlan {
  return { ...plan, rows: r1 - r0, p: plan.p.subarray(r0 * plan.rank, r1 * plan.rank) };
}
