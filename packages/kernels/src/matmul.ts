import { checkF32, checkSize } from './dtype.js';
import { KernelError } from './errors.js';

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** A is stored transposed, as `[k, m]`. */
  transA?: boolean;
  /** B is stored transposed, as `[n, k]`. */
  transB?: boolean;
  /** Where to write C (`m·n` values); a new array when omitted. */
  out?: Float32Array;
}

/**
 * C = op(A)·op(B) in float32, row-major: A is `[m, k]` (or `[k, m]` with `transA`), B is `[k, n]` (or `[n, k]`
 * with `transB`), C is `[m, n]`.
 *
 * Each C[i, j] is a chain of f32 fused multiply-adds over k in order (`acc = fl(acc + a·b)`, the product exact).
 * That is what PyTorch's CPU matmul (MKL sgemm, x86) computes when C has at least 4 rows and 12 columns and
 * k ≤ 192 — every LoRA product ΔW = B·A of a real model — and the results are then identical bit for bit. For
 * narrower or longer products MKL switches kernels (no FMA, blocked sums) and the last bit may differ.
 *
 * @param a - left operand
 * @param b - right operand
 * @param m - rows of C
 * @param k - inner dimension
 * @param n - columns of C
 * @param options - `transA`, `transB`, `out`
 * @returns C, `[m, n]`
 * @throws {KernelError} `INVALID_ARGUMENT` for bad sizes, `SHAPE_MISMATCH` when a length differs from its shape
 * @example
 * ```ts
 * // [1 2; 3 4] · [5; 6] = [17; 39]
 * matmul(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6]), 2, 2, 1);
 * ```
 */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  options: MatmulOptions = {},
): Float32Array {
  checkSize('matmul m', m);
  checkSize('matmul k', k);
  checkSize('matmul n', n);
  checkF32('matmul A', a, m * k);
  checkF32('matmul B', b, k * n);
  const out = options.out ?? new Float32Array(m * n);
  if (!(out instanceof Float32Array) || out.length !== m * n) {
    throw new KernelError('SHAPE_MISMATCH', `matmul: options.out must be a Float32Array of ${m * n} values`);
  }
  // B as [n, k] rows, A row i as [k], both f64 copies for a contiguous inner loop
  const bt = new Float64Array(n * k);
  for (let kk = 0; kk < k; kk++) {
    for (let j = 0; j < n; j++) {
      bt[j * k + kk] = (options.transB ? b[j * k + kk] : b[kk * n + j]) as number;
    }
  }
  const aRow = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    for (let kk = 0; kk < k; kk++) aRow[kk] = (options.transA ? a[kk * m + i] : a[i * k + kk]) as number;
    for (let j = 0; j < n; j++) {
      const o = j * k;
      let acc = 0;
      for (let kk = 0; kk < k; kk++) acc = Math.fround(acc + (aRow[kk] as number) * (bt[o + kk] as number));
      out[i * n + j] = acc;
    }
  }
  return out;
}

/**
 * The transpose of a row-major `[rows, cols]` float32 matrix, as a new `[cols, rows]` array.
 *
 * @param x - the matrix
 * @param rows - its rows
 * @param cols - its columns
 * @returns the transposed matrix
 * @throws {KernelError} `SHAPE_MISMATCH` when `x.length !== rows * cols`
 */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  checkSize('transpose rows', rows);
  checkSize('transpose cols', cols);
  checkF32('transpose input', x, rows * cols);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j] as number;
  }
  return out;
}
