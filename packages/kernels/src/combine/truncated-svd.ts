import { matmul, norm2, orthonormalizeRows, transpose } from './linalg.js';
import { createSeededRandom } from './seeded-random.js';
import { type SvdRows, svdRows } from './svd.js';

/**
 * The top `r` singular triplets, vectors as rows: `u` is r × m, `v` is r × n, `s` descending. @internal
 */
export interface TopSvd {
  readonly u: Float64Array;
  readonly s: Float64Array;
  readonly v: Float64Array;
  /** Which algorithm produced the triplets. */
  readonly method: 'dense' | 'subspace' | 'low-rank';
}

/** A dense row-major matrix: float32 values (a pruned delta) are read without a Float64 copy. */
type Matrix = Float32Array | Float64Array;

/** Dense matrices up to this many elements always go through the full Golub–Kahan–Reinsch SVD. */
const DENSE_MAX_ELEMENTS = 512 * 512;
/** Convergence threshold of the subspace iteration: ‖M·vⱼ − σⱼ·uⱼ‖ ≤ tol·σ₁ for every kept triplet. */
const SUBSPACE_TOLERANCE = 1e-12;
/** Most power steps before the subspace iteration gives up and the dense SVD runs instead. */
const SUBSPACE_MAX_STEPS = 100;

function take(rows: SvdRows, m: number, n: number, r: number): TopSvd {
  return {
    u: rows.left.slice(0, r * m),
    s: rows.s.slice(0, r),
    v: rows.right.slice(0, r * n),
    method: 'dense',
  };
}

/**
 * Top-`r` SVD of a dense `m × n` row-major matrix. Small matrices use the dense SVD; large ones a block subspace
 * iteration that only stops once every kept triplet's residual is below 1e-12·σ₁ (so it gives the dense result
 * within rounding), falling back to the dense SVD when it does not converge. Requires r ≤ min(m, n).
 *
 * @internal
 */
export function topSvdDense(matrix: Matrix, m: number, n: number, r: number): TopSvd {
  const k = Math.min(m, n);
  const block = Math.min(k, 2 * r + 10);
  if (m * n > DENSE_MAX_ELEMENTS && block * 4 <= k && r > 0) {
    const result = subspaceIteration(matrix, m, n, r, block);
    if (result !== undefined) return result;
  }
  return take(svdRows(matrix, m, n, false), m, n, r);
}

function subspaceIteration(a: Matrix, m: number, n: number, r: number, b: number): TopSvd | undefined {
  const random = createSeededRandom(0x5eed);
  const z = new Float64Array(b * n);
  for (let i = 0; i < z.length; i++) z[i] = random() - 0.5;
  orthonormalizeRows(z, b, n);
  const y = new Float64Array(b * m);
  for (let step = 0; step < SUBSPACE_MAX_STEPS; step++) {
    // y = (M·zᵀ)ᵀ, orthonormalised: an orthonormal basis Q of the range, as rows.
    multiplyRows(a, m, n, z, b, y);
    orthonormalizeRows(y, b, m);
    // z = Qᵀ·M (b × n): Rayleigh–Ritz on the block.
    multiplyTransposed(a, m, n, y, b, z);
    const small = svdRows(z, b, n, false);
    const u = new Float64Array(r * m);
    for (let t = 0; t < r; t++) {
      for (let l = 0; l < b; l++) {
        const c = small.left[t * b + l] as number;
        if (c === 0) continue;
        for (let i = 0; i < m; i++) u[t * m + i] = (u[t * m + i] as number) + c * (y[l * m + i] as number);
      }
    }
    const v = small.right.slice(0, r * n);
    const s = small.s.slice(0, r);
    if (converged(a, m, n, u, s, v, r)) return { ...normalized(u, s, v, m, n, r), method: 'subspace' };
    orthonormalizeRows(z, b, n);
  }
  return undefined;
}

/** out[l·m + i] = Σⱼ a[i·n + j]·z[l·n + j] (rows of z against rows of a), four rows of z per pass over a row. */
function multiplyRows(a: Matrix, m: number, n: number, z: Float64Array, b: number, out: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const row = i * n;
    let l = 0;
    for (; l + 4 <= b; l += 4) {
      const z0 = l * n;
      const z1 = z0 + n;
      const z2 = z1 + n;
      const z3 = z2 + n;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let j = 0; j < n; j++) {
        const x = a[row + j] as number;
        d0 += x * (z[z0 + j] as number);
        d1 += x * (z[z1 + j] as number);
        d2 += x * (z[z2 + j] as number);
        d3 += x * (z[z3 + j] as number);
      }
      out[l * m + i] = d0;
      out[(l + 1) * m + i] = d1;
      out[(l + 2) * m + i] = d2;
      out[(l + 3) * m + i] = d3;
    }
    for (; l < b; l++) {
      const zl = l * n;
      let d = 0;
      for (let j = 0; j < n; j++) d += (a[row + j] as number) * (z[zl + j] as number);
      out[l * m + i] = d;
    }
  }
}

/** out[l·n + j] = Σᵢ y[l·m + i]·a[i·n + j] (Qᵀ·M with Q's columns as rows of y), four rows at a time. */
function multiplyTransposed(
  a: Matrix,
  m: number,
  n: number,
  y: Float64Array,
  b: number,
  out: Float64Array,
): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    let l = 0;
    for (; l + 4 <= b; l += 4) {
      const q0 = y[l * m + i] as number;
      const q1 = y[(l + 1) * m + i] as number;
      const q2 = y[(l + 2) * m + i] as number;
      const q3 = y[(l + 3) * m + i] as number;
      const o0 = l * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      for (let j = 0; j < n; j++) {
        const x = a[row + j] as number;
        out[o0 + j] = (out[o0 + j] as number) + q0 * x;
        out[o1 + j] = (out[o1 + j] as number) + q1 * x;
        out[o2 + j] = (out[o2 + j] as number) + q2 * x;
        out[o3 + j] = (out[o3 + j] as number) + q3 * x;
      }
    }
    for (; l < b; l++) {
      const q = y[l * m + i] as number;
      if (q === 0) continue;
      const ol = l * n;
      for (let j = 0; j < n; j++) out[ol + j] = (out[ol + j] as number) + q * (a[row + j] as number);
    }
  }
}

function converged(
  a: Matrix,
  m: number,
  n: number,
  u: Float64Array,
  s: Float64Array,
  v: Float64Array,
  r: number,
): boolean {
  const top = s[0] as number;
  if (!(top > 0)) return true;
  const residual = new Float64Array(m);
  for (let t = 0; t < r; t++) {
    for (let i = 0; i < m; i++) {
      let dot = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) dot += (a[row + j] as number) * (v[t * n + j] as number);
      residual[i] = dot - (s[t] as number) * (u[t * m + i] as number);
    }
    if (norm2(residual, 0, m) > SUBSPACE_TOLERANCE * top) return false;
  }
  return true;
}

/** Applies the sign rule of `svd` (largest |entry| of each left vector positive). */
function normalized(
  u: Float64Array,
  s: Float64Array,
  v: Float64Array,
  m: number,
  n: number,
  r: number,
): Pick<TopSvd, 'u' | 's' | 'v'> {
  for (let t = 0; t < r; t++) {
    let best = 0;
    let value = 0;
    for (let i = 0; i < m; i++) {
      const x = u[t * m + i] as number;
      if (Math.abs(x) > best) {
        best = Math.abs(x);
        value = x;
      }
    }
    if (value < 0) {
      for (let i = 0; i < m; i++) u[t * m + i] = -(u[t * m + i] as number);
      for (let j = 0; j < n; j++) v[t * n + j] = -(v[t * n + j] as number);
    }
  }
  return { u, s, v };
}

/**
 * Top-`r` SVD of `M = left · right` (left m × K, right K × n) without forming M: QR of both factors, SVD of the
 * K × K core. Exact (not randomised); the same triplets as the dense SVD of M. Components past rank K get σ = 0,
 * a zero left vector and right vectors that complete an orthonormal set. Requires r ≤ min(m, n).
 *
 * @internal
 */
export function topSvdLowRank(
  left: Float64Array,
  right: Float64Array,
  m: number,
  k: number,
  n: number,
  r: number,
): TopSvd {
  if (k * 2 > Math.min(m, n)) return topSvdDense(matmul(left, right, m, k, n), m, n, r);
  // Rows of lq span left's columns; rows of rq span right's rows (plus completion vectors).
  const lq = transpose(left, m, k);
  const extra = Math.max(0, r - k);
  const rq = new Float64Array((k + extra) * n);
  rq.set(right);
  orthonormalizeRows(lq, k, m);
  orthonormalizeRows(rq.subarray(0, k * n), k, n);
  if (extra > 0) completeRows(rq, k, extra, n);
  // M = lqᵀ · C · rq with the K × K core C = (lq · left) · (right · rqᵀ).
  const lc = matmul(lq, left, k, m, k);
  const rc = matmul(right, transpose(rq.subarray(0, k * n), k, n), k, n, k);
  const core = matmul(lc, rc, k, k, k);
  const small = svdRows(core, k, k, false);
  const u = new Float64Array(r * m);
  const v = new Float64Array(r * n);
  const s = new Float64Array(r);
  for (let t = 0; t < Math.min(r, k); t++) {
    s[t] = small.s[t] as number;
    for (let l = 0; l < k; l++) {
      const cu = small.left[t * k + l] as number;
      if (cu !== 0)
        for (let i = 0; i < m; i++) u[t * m + i] = (u[t * m + i] as number) + cu * (lq[l * m + i] as number);
      const cv = small.right[t * k + l] as number;
      if (cv !== 0)
        for (let j = 0; j < n; j++) v[t * n + j] = (v[t * n + j] as number) + cv * (rq[l * n + j] as number);
    }
  }
  for (let t = k; t < r; t++) v.set(rq.subarray(t * n, (t + 1) * n), t * n);
  return { ...normalized(u, s, v, m, n, Math.min(r, k)), method: 'low-rank' };
}

/** Fills rows k..k+extra-1 of q with unit vectors orthogonal to rows 0..k+extra-1 (Gram–Schmidt on eᵢ). */
function completeRows(q: Float64Array, k: number, extra: number, n: number): void {
  let filled = k;
  for (let e = 0; e < n && filled < k + extra; e++) {
    const row = q.subarray(filled * n, (filled + 1) * n);
    row.fill(0);
    row[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < filled; p++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += (row[j] as number) * (q[p * n + j] as number);
        for (let j = 0; j < n; j++) row[j] = (row[j] as number) - dot * (q[p * n + j] as number);
      }
    }
    const nrm = norm2(row, 0, n);
    if (nrm < 0.5) continue;
    for (let j = 0; j < n; j++) row[j] = (row[j] as number) / nrm;
    filled++;
  }
}
