import type { KernelOptions } from './backend/backend.js';
import { selectBackend } from './backend/select-backend.js';
import { checkBuffer, checkF32, checkWeight, type FloatBuffer, type Weight } from './dtype.js';

/** An IA³ vector on a linear layer, as PEFT stores it (`ia3_l`, no `.weight`). */
export interface Ia3Vector {
  /**
   * `ia3_l`, flattened: `[in]` for a feedforward module (saved as `(1, in)`), `[out]` otherwise (saved as
   * `(out, 1)`).
   */
  readonly l: Float32Array;
  /** Whether the module is in `feedforward_modules` (scales the input instead of the output). */
  readonly feedforward: boolean;
  /** True when the base weight is stored `[in, out]` (GPT-2 `Conv1D`). */
  readonly fanInFanOut?: boolean;
}

/**
 * Whether `l` scales columns of the stored weight: feedforward scales the input dimension, otherwise the
 * output dimension; `[in, out]` storage swaps rows and columns.
 */
function perCol(ia3: Ia3Vector): boolean {
  return ia3.feedforward !== (ia3.fanInFanOut === true);
}

function apply(what: string, weight: Weight, ia3: Ia3Vector, divide: boolean, options: KernelOptions): void {
  checkWeight(`${what}: weight`, weight);
  const cols = perCol(ia3);
  checkF32(`${what}: ia3_l`, ia3.l, cols ? weight.cols : weight.rows);
  const factors = divide ? plusEpsilon(ia3.l) : ia3.l;
  selectBackend(options.backend).scale({
    src: weight,
    dst: weight,
    rows: weight.rows,
    cols: weight.cols,
    factors,
    perCol: cols,
    divide,
  });
}

/** `l + 1e-8` as PyTorch computes it (an f32 tensor plus a Python float: one f32 addition). */
function plusEpsilon(l: Float32Array): Float32Array {
  const eps = Math.fround(1e-8);
  return l.map((v) => v + eps);
}

/**
 * Merges an IA³ vector into its weight in place, as PEFT: `W ← cast(fl(W ⊙ l))`, `l` along the input dimension
 * for feedforward modules and along the output dimension otherwise (`[out, in]` → columns / rows; `[in, out]`
 * with `fanInFanOut` → rows / columns).
 *
 * @param weight - the base weight; changed in place
 * @param ia3 - the vector and how it applies
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when `l` does not fit the scaled dimension
 * @example
 * ```ts
 * mergeIa3({ data: w, dtype: 'f32', rows: 8, cols: 16 }, { l, feedforward: false }); // l: [8]
 * ```
 */
export function mergeIa3(weight: Weight, ia3: Ia3Vector, options: KernelOptions = {}): void {
  apply('mergeIa3', weight, ia3, false, options);
}

/**
 * Takes a merged IA³ vector out of its weight in place, as PEFT: `W ← cast(fl(W / fl(l + 1e-8)))` (inexact,
 * as PEFT warns).
 *
 * @param weight - the merged weight; changed in place
 * @param ia3 - the vector that was merged
 * @param options - `backend`
 * @throws {KernelError} `SHAPE_MISMATCH` when `l` does not fit the scaled dimension
 */
export function unmergeIa3(weight: Weight, ia3: Ia3Vector, options: KernelOptions = {}): void {
  apply('unmergeIa3', weight, ia3, true, options);
}

function applyBias(what: string, bias: FloatBuffer, ia3: Ia3Vector, divide: boolean): void {
  if (ia3.feedforward) return;
  checkBuffer(`${what}: bias`, bias);
  checkF32(`${what}: ia3_l`, ia3.l, bias.data.length);
  const factors = divide ? plusEpsilon(ia3.l) : ia3.l;
  const backend = selectBackend('js');
  backend.scale({ src: bias, dst: bias, rows: 1, cols: bias.data.length, factors, perCol: true, divide });
}

/**
 * Merges an IA³ vector into the layer's bias in place: `b ← cast(fl(b ⊙ l))` for non-feedforward modules; a
 * feedforward module's bias is left alone (PEFT scales its input, not its output).
 *
 * @param bias - the base bias, `[out]`; changed in place
 * @param ia3 - the vector
 * @throws {KernelError} `SHAPE_MISMATCH` when the lengths differ
 */
export function mergeIa3Bias(bias: FloatBuffer, ia3: Ia3Vector): void {
  applyBias('mergeIa3Bias', bias, ia3, false);
}

/**
 * Takes a merged IA³ vector out of the bias in place: `b ← cast(fl(b / fl(l + 1e-8)))` (non-feedforward only).
 *
 * @param bias - the merged bias; changed in place
 * @param ia3 - the vector that was merged
 * @throws {KernelError} `SHAPE_MISMATCH` when the lengths differ
 */
export function unmergeIa3Bias(bias: FloatBuffer, ia3: Ia3Vector): void {
  applyBias('unmergeIa3Bias', bias, ia3, true);
}
