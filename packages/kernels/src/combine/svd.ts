import { KernelError } from '../errors.js';
import { bidiagonalQr } from './bidiagonal-qr.js';
import { hypot, transpose } from './linalg.js';

/** Options of {@link svd}. */
export interface SvdOptions {
  /** Full `U (m×m)` and `Vh (n×n)` (torch's default) or reduced `U (m×k)`, `Vh (k×n)`. @defaultValue true */
  fullMatrices?: boolean;
}

/** The result of {@link svd}: `matrix = U · diag(S) · Vh`, all row-major Float64. */
export interface SvdResult {
  /** Left singular vectors as columns: `m × uCols` (uCols = m if full, else k). */
  readonly U: Float64Array;
  /** Singular values, descending, length `k = min(m, n)`. */
  readonly S: Float64Array;
  /** Right singular vectors as rows: `vhRows × n` (vhRows = n if full, else k). */
  readonly Vh: Float64Array;
  /** Columns of `U`. */
  readonly uCols: number;
  /** Rows of `Vh`. */
  readonly vhRows: number;
}

/**
 * Singular vectors stored as rows (`left`: count × m, `right`: count × n), the layout the kernels work in.
 * @internal
 */
export interface SvdRows {
  readonly left: Float64Array;
  readonly leftCount: number;
  readonly s: Float64Array;
  readonly right: Float64Array;
  readonly rightCount: number;
}

/**
 * Singular value decomposition in Float64 (Householder bidiagonalisation, then implicit-shift QR on the
 * bidiagonal), singular values descending, like `torch.linalg.svd`.
 *
 * Signs: each singular pair is oriented so that the largest-magnitude entry of its left vector (the first one on
 * a tie) is positive; vectors that complete a full basis get the same rule on their own entries. torch's CPU SVD
 * (LAPACK `gesdd` from MKL) fixes signs as a by-product of its iterations, and no rule reproduces them: on PEFT's
 * fixtures every simple rule (first/last/largest entry or sum of u or v positive, in the original or the
 * Householder-bidiagonal basis) agrees with about half the components, MKL's float32 and float64 results differ in
 * 3–30 % of components, and MKL differs from reference LAPACK (OpenBLAS) in float32. So a column of torch's `U`
 * may be the negative of ours (with the matching row of `Vh`); sign-invariant results (`U·diag(S)·Vh`, PEFT's
 * `B·A`) agree.
 *
 * @param matrix - `m × n` values, row-major
 * @param m - rows
 * @param n - columns
 * @param options - `fullMatrices`
 * @returns U, S, Vh
 * @throws {KernelError} `SHAPE_MISMATCH` when `matrix.length !== m·n`; `SVD_NOT_CONVERGED` for non-finite input
 * @example
 * ```ts
 * const { U, S, Vh } = svd(Float64Array.of(3, 0, 0, 4), 2, 2); // S = [4, 3]
 * ```
 */
export function svd(matrix: ArrayLike<number>, m: number, n: number, options: SvdOptions = {}): SvdResult {
  const full = options.fullMatrices ?? true;
  const rows = svdRows(matrix, m, n, full);
  const k = Math.min(m, n);
  return {
    U: transpose(rows.left, rows.leftCount, m),
    S: rows.s.slice(0, k),
    Vh: rows.right,
    uCols: rows.leftCount,
    vhRows: rows.rightCount,
  };
}

/**
 * {@link svd} with both sets of singular vectors as rows (left: `leftCount × m`, right: `rightCount × n`).
 *
 * @internal
 */
export function svdRows(matrix: ArrayLike<number>, m: number, n: number, full: boolean): SvdRows {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || n < 0 || matrix.length !== m * n) {
    throw new KernelError(
      'SHAPE_MISMATCH',
      `svd: matrix has ${matrix.length} values, which is not ${m} × ${n}`,
      { value: [m, n] },
    );
  }
  for (let i = 0; i < matrix.length; i++) {
    if (!Number.isFinite(matrix[i] as number)) {
      throw new KernelError(
        'SVD_NOT_CONVERGED',
        'svd: The algorithm failed to converge because the input matrix contained non-finite values.',
        { value: matrix[i] },
      );
    }
  }
  const k = Math.min(m, n);
  if (m >= n) {
    const t = tallSvd(Float64Array.from(matrix), m, n, full);
    normalizeSigns(t.ut, m, t.vt, n, k, t.ut.length / (m || 1));
    return { left: t.ut, leftCount: m === 0 ? 0 : t.ut.length / m, s: t.s, right: t.vt, rightCount: n };
  }
  const t = tallSvd(transpose(Float64Array.from(matrix), m, n), n, m, full);
  // For Aᵀ = U' S V'ᵀ: A's left vectors are the rows of vt', its right vectors the rows of ut'.
  normalizeSigns(t.vt, m, t.ut, n, k, m);
  return { left: t.vt, leftCount: m, s: t.s, right: t.ut, rightCount: t.ut.length / n };
}

/** Flips pairs so the largest |entry| of each left vector is positive; extra left/right rows on their own. */
function normalizeSigns(
  left: Float64Array,
  m: number,
  right: Float64Array,
  n: number,
  k: number,
  leftCount: number,
): void {
  const rightCount = n === 0 ? 0 : right.length / n;
  for (let j = 0; j < Math.max(leftCount, rightCount); j++) {
    if (j < k) {
      if (pivotSign(left, j * m, m) < 0) {
        negate(left, j * m, m);
        negate(right, j * n, n);
      }
    } else {
      if (j < leftCount && pivotSign(left, j * m, m) < 0) negate(left, j * m, m);
      if (j < rightCount && pivotSign(right, j * n, n) < 0) negate(right, j * n, n);
    }
  }
}

function pivotSign(x: Float64Array, offset: number, len: number): number {
  let best = 0;
  let value = 0;
  for (let i = 0; i < len; i++) {
    const v = x[offset + i] as number;
    if (Math.abs(v) > best) {
      best = Math.abs(v);
      value = v;
    }
  }
  return value < 0 ? -1 : 1;
}

function negate(x: Float64Array, offset: number, len: number): void {
  for (let i = 0; i < len; i++) x[offset + i] = -(x[offset + i] as number);
}

/** Below this magnitude a reflector is computed on a copy scaled by 2^600 (exact), as LAPACK's dlarfg rescales. */
const SAFE_MIN = 2 ** -900;
const RESCALE = 2 ** 600;

/** Householder vector for x = (alpha, rest): returns [beta, tau]; scales `rest` into v (v₀ = 1) in place. */
function reflector(
  a: Float64Array,
  alphaAt: number,
  restAt: number,
  stride: number,
  count: number,
): [number, number] {
  let alpha = a[alphaAt] as number;
  let scale = 0;
  for (let i = 0; i < count; i++) scale = Math.max(scale, Math.abs(a[restAt + i * stride] as number));
  if (scale === 0) return [alpha, 0];
  // Subnormal inputs lose precision in the divisions below and break orthogonality: scale them up first.
  let factor = 1;
  if (Math.max(scale, Math.abs(alpha)) < SAFE_MIN) {
    factor = RESCALE;
    alpha *= factor;
    scale *= factor;
    for (let i = 0; i < count; i++) a[restAt + i * stride] = (a[restAt + i * stride] as number) * factor;
  }
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = (a[restAt + i * stride] as number) / scale;
    sum += v * v;
  }
  const xnorm = scale * Math.sqrt(sum);
  const beta = -(alpha >= 0 ? 1 : -1) * hypot(alpha, xnorm);
  const tau = (beta - alpha) / beta;
  const denominator = alpha - beta;
  for (let i = 0; i < count; i++) a[restAt + i * stride] = (a[restAt + i * stride] as number) / denominator;
  return [beta / factor, tau];
}

interface TallSvd {
  ut: Float64Array;
  s: Float64Array;
  vt: Float64Array;
}

/** SVD of a tall `m × n` (m ≥ n) row-major matrix, destroyed in the process. */
function tallSvd(a: Float64Array, m: number, n: number, full: boolean): TallSvd {
  const p = full ? m : n;
  const s = new Float64Array(n);
  const e = new Float64Array(n);
  const tauQ = new Float64Array(n);
  const tauP = new Float64Array(n);
  const w = new Float64Array(Math.max(m, n));
  for (let k = 0; k < n; k++) {
    // Column reflector: zero a[k+1.., k].
    const [beta, tau] = reflector(a, k * n + k, (k + 1) * n + k, n, m - k - 1);
    s[k] = beta;
    tauQ[k] = tau;
    if (tau !== 0 && k + 1 < n) {
      for (let j = k + 1; j < n; j++) w[j] = a[k * n + j] as number;
      for (let i = k + 1; i < m; i++) {
        const vi = a[i * n + k] as number;
        if (vi === 0) continue;
        for (let j = k + 1; j < n; j++) w[j] = (w[j] as number) + vi * (a[i * n + j] as number);
      }
      for (let j = k + 1; j < n; j++) a[k * n + j] = (a[k * n + j] as number) - tau * (w[j] as number);
      for (let i = k + 1; i < m; i++) {
        const f = tau * (a[i * n + k] as number);
        if (f === 0) continue;
        for (let j = k + 1; j < n; j++) a[i * n + j] = (a[i * n + j] as number) - f * (w[j] as number);
      }
    }
    if (k < n - 1) {
      // Row reflector: zero a[k, k+2..].
      const [rb, rt] = reflector(a, k * n + k + 1, k * n + k + 2, 1, n - k - 2);
      e[k] = rb;
      tauP[k] = rt;
      if (rt !== 0) {
        for (let i = k + 1; i < m; i++) {
          const row = i * n;
          let dot = a[row + k + 1] as number;
          for (let j = k + 2; j < n; j++) dot += (a[row + j] as number) * (a[k * n + j] as number);
          const f = rt * dot;
          if (f === 0) continue;
          a[row + k + 1] = (a[row + k + 1] as number) - f;
          for (let j = k + 2; j < n; j++) a[row + j] = (a[row + j] as number) - f * (a[k * n + j] as number);
        }
      }
    }
  }
  const ut = transpose(accumulateLeft(a, m, n, p, tauQ, w), m, p);
  const vt = transpose(accumulateRight(a, n, tauP, w), n, n);
  bidiagonalQr(s, e, ut, m, vt, n);
  return { ut, s, vt };
}

/** Q = H₀…H_{n−1}·I(:, :p) as an m × p row-major matrix. */
function accumulateLeft(
  a: Float64Array,
  m: number,
  n: number,
  p: number,
  tauQ: Float64Array,
  w: Float64Array,
): Float64Array {
  const q = new Float64Array(m * p);
  for (let i = 0; i < p; i++) q[i * p + i] = 1;
  const ww = w.length >= p ? w : new Float64Array(p);
  for (let k = n - 1; k >= 0; k--) {
    const tau = tauQ[k] as number;
    if (tau === 0) continue;
    for (let j = k; j < p; j++) ww[j] = q[k * p + j] as number;
    for (let i = k + 1; i < m; i++) {
      const vi = a[i * n + k] as number;
      if (vi === 0) continue;
      for (let j = k; j < p; j++) ww[j] = (ww[j] as number) + vi * (q[i * p + j] as number);
    }
    for (let j = k; j < p; j++) q[k * p + j] = (q[k * p + j] as number) - tau * (ww[j] as number);
    for (let i = k + 1; i < m; i++) {
      const f = tau * (a[i * n + k] as number);
      if (f === 0) continue;
      for (let j = k; j < p; j++) q[i * p + j] = (q[i * p + j] as number) - f * (ww[j] as number);
    }
  }
  return q;
}

/** P = G₀…G_{n−2} as an n × n row-major matrix (Gₖ's vector is row k of `a`, from column k+1). */
function accumulateRight(a: Float64Array, n: number, tauP: Float64Array, w: Float64Array): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = n - 2; k >= 0; k--) {
    const tau = tauP[k] as number;
    if (tau === 0) continue;
    const c0 = k + 1;
    for (let j = c0; j < n; j++) w[j] = q[c0 * n + j] as number;
    for (let i = c0 + 1; i < n; i++) {
      const vi = a[k * n + i] as number;
      if (vi === 0) continue;
      for (let j = c0; j < n; j++) w[j] = (w[j] as number) + vi * (q[i * n + j] as number);
    }
    for (let j = c0; j < n; j++) q[c0 * n + j] = (q[c0 * n + j] as number) - tau * (w[j] as number);
    for (let i = c0 + 1; i < n; i++) {
      const f = tau * (a[k * n + i] as number);
      if (f === 0) continue;
      for (let j = c0; j < n; j++) q[i * n + j] = (q[i * n + j] as number) - f * (w[j] as number);
    }
  }
  return q;
}
