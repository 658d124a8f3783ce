/**
 * Small dense Float64 helpers for the combination kernels (row-major matrices). @internal
 */

/**
 * `C = A · B` for row-major `A (m×k)` and `B (k×n)`, accumulated in Float64.
 *
 * @param a - m×k values
 * @param b - k×n values
 * @returns m×n product
 * @internal
 */
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p] as number;
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] = (c[ci + j] as number) + aip * (b[bp + j] as number);
    }
  }
  return c;
}

/**
 * The transpose of a row-major `rows×cols` matrix.
 *
 * @internal
 */
export function transpose<T extends Float32Array | Float64Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as new (n: number) => T)(rows * cols);
  for (let i = 0; i < rows; i++) {
    const ai = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[ai + j] as number;
  }
  return out;
}

/**
 * Euclidean norm of `x[offset .. offset+len)` with stride 1, scaled against overflow/underflow.
 *
 * @internal
 */
export function norm2(x: ArrayLike<number>, offset: number, len: number): number {
  let scale = 0;
  for (let i = 0; i < len; i++) scale = Math.max(scale, Math.abs(x[offset + i] as number));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let sum = 0;
  for (let i = 0; i < len; i++) {
    const v = (x[offset + i] as number) / scale;
    sum += v * v;
  }
  return scale * Math.sqrt(sum);
}

/**
 * `sqrt(a² + b²)` without destructive overflow or underflow.
 *
 * @internal
 */
export function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const big = Math.max(x, y);
  const small = Math.min(x, y);
  if (big === 0) return 0;
  const r = small / big;
  return big * Math.sqrt(1 + r * r);
}

/**
 * Orthonormalises the rows of a row-major `rows×cols` matrix in place (modified Gram–Schmidt, applied twice),
 * replacing rows that become numerically zero by zeros.
 *
 * @returns the norms of the rows after the first pass (0 where a row was dependent)
 * @internal
 */
export function orthonormalizeRows(q: Float64Array, rows: number, cols: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < rows; i++) {
      const qi = i * cols;
      for (let p = 0; p < i; p++) {
        const qp = p * cols;
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += (q[qi + j] as number) * (q[qp + j] as number);
        if (dot === 0) continue;
        for (let j = 0; j < cols; j++) q[qi + j] = (q[qi + j] as number) - dot * (q[qp + j] as number);
      }
      const nrm = norm2(q, qi, cols);
      if (pass === 0) norms[i] = nrm;
      const inv = nrm > 0 ? 1 / nrm : 0;
      for (let j = 0; j < cols; j++) q[qi + j] = (q[qi + j] as number) * inv;
    }
  }
  return norms;
}
