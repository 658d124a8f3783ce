import { KernelError } from '../errors.js';
import { hypot } from './linalg.js';

const EPS = 2 ** -52;
const TINY = 2 ** -966;

/** x[j] ← cs·x[j] + sn·x[k]; x[k] ← −sn·x[j] + cs·x[k], on rows j and k of a row-major matrix. */
function rotateRows(x: Float64Array, len: number, j: number, k: number, cs: number, sn: number): void {
  const oj = j * len;
  const ok = k * len;
  for (let t = 0; t < len; t++) {
    const a = x[oj + t] as number;
    const b = x[ok + t] as number;
    x[oj + t] = cs * a + sn * b;
    x[ok + t] = cs * b - sn * a;
  }
}

function swapRows(x: Float64Array, len: number, j: number, k: number): void {
  const oj = j * len;
  const ok = k * len;
  for (let t = 0; t < len; t++) {
    const a = x[oj + t] as number;
    x[oj + t] = x[ok + t] as number;
    x[ok + t] = a;
  }
}

/**
 * Diagonalises the upper bidiagonal (s, e) by implicit-shift QR sweeps (Golub–Kahan with a Wilkinson-style shift,
 * deflating negligible entries), applying the rotations to the rows of `ut` (left vectors) and `vt` (right
 * vectors); leaves s ≥ 0, descending.
 *
 * @internal
 */
export function bidiagonalQr(
  s: Float64Array,
  e: Float64Array,
  ut: Float64Array,
  m: number,
  vt: Float64Array,
  n: number,
): void {
  let p = n;
  let iterations = 0;
  const maxIterations = 75 * n + 100;
  // Entries below ε·‖B‖ are negligible in absolute terms (a backward-stable perturbation); treating them as zero
  // also keeps the shifted sweeps free of underflow when the matrix spans hundreds of orders of magnitude.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(s[i] as number) + Math.abs(e[i] as number));
  const floor = Math.max(TINY, EPS * norm);
  while (p > 0) {
    let k = p - 2;
    for (; k >= 0; k--) {
      if (
        Math.abs(e[k] as number) <=
        floor + EPS * (Math.abs(s[k] as number) + Math.abs(s[k + 1] as number))
      ) {
        e[k] = 0;
        break;
      }
    }
    let kase: 1 | 2 | 3 | 4;
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks = p - 1;
      for (; ks > k; ks--) {
        const t = Math.abs(e[ks] as number) + (ks !== k + 1 ? Math.abs(e[ks - 1] as number) : 0);
        if (Math.abs(s[ks] as number) <= floor + EPS * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    k++;
    if (kase === 1) {
      // s[p-1] is negligible: chase e[p-2] up with rotations from the right.
      let f = e[p - 2] as number;
      e[p - 2] = 0;
      for (let j = p - 2; j >= k; j--) {
        const t = hypot(s[j] as number, f);
        const cs = (s[j] as number) / t;
        const sn = f / t;
        s[j] = t;
        if (j !== k) {
          f = -sn * (e[j - 1] as number);
          e[j - 1] = cs * (e[j - 1] as number);
        }
        rotateRows(vt, n, j, p - 1, cs, sn);
      }
    } else if (kase === 2) {
      // s[k-1] is negligible: split, chasing e[k-1] down with rotations from the left.
      let f = e[k - 1] as number;
      e[k - 1] = 0;
      for (let j = k; j < p; j++) {
        const t = hypot(s[j] as number, f);
        const cs = (s[j] as number) / t;
        const sn = f / t;
        s[j] = t;
        f = -sn * (e[j] as number);
        e[j] = cs * (e[j] as number);
        rotateRows(ut, m, j, k - 1, cs, sn);
      }
    } else if (kase === 3) {
      if (++iterations > maxIterations) {
        throw new KernelError('SVD_NOT_CONVERGED', `svd: no convergence after ${maxIterations} QR sweeps`);
      }
      qrSweep(s, e, k, p, ut, m, vt, n);
    } else {
      if ((s[k] as number) <= 0) {
        s[k] = (s[k] as number) < 0 ? -(s[k] as number) : 0;
        for (let t = 0; t < n; t++) vt[k * n + t] = -(vt[k * n + t] as number);
      }
      while (k < n - 1 && (s[k] as number) < (s[k + 1] as number)) {
        const t = s[k] as number;
        s[k] = s[k + 1] as number;
        s[k + 1] = t;
        swapRows(vt, n, k, k + 1);
        swapRows(ut, m, k, k + 1);
        k++;
      }
      p--;
    }
  }
}

/** One Golub–Kahan step with a Wilkinson-style shift on the unreduced block k..p-1. */
function qrSweep(
  s: Float64Array,
  e: Float64Array,
  k: number,
  p: number,
  ut: Float64Array,
  m: number,
  vt: Float64Array,
  n: number,
): void {
  const scale = Math.max(
    Math.abs(s[p - 1] as number),
    Math.abs(s[p - 2] as number),
    Math.abs(e[p - 2] as number),
    Math.abs(s[k] as number),
    Math.abs(e[k] as number),
  );
  const sp = (s[p - 1] as number) / scale;
  const spm1 = (s[p - 2] as number) / scale;
  const epm1 = (e[p - 2] as number) / scale;
  const sk = (s[k] as number) / scale;
  const ek = (e[k] as number) / scale;
  const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
  const c = sp * epm1 * (sp * epm1);
  let shift = 0;
  if (b !== 0 || c !== 0) {
    shift = Math.sqrt(b * b + c);
    if (b < 0) shift = -shift;
    shift = c / (b + shift);
  }
  let f = (sk + sp) * (sk - sp) + shift;
  let g = sk * ek;
  for (let j = k; j < p - 1; j++) {
    let t = hypot(f, g);
    let cs = f / t;
    let sn = g / t;
    if (j !== k) e[j - 1] = t;
    f = cs * (s[j] as number) + sn * (e[j] as number);
    e[j] = cs * (e[j] as number) - sn * (s[j] as number);
    g = sn * (s[j + 1] as number);
    s[j + 1] = cs * (s[j + 1] as number);
    rotateRows(vt, n, j, j + 1, cs, sn);
    t = hypot(f, g);
    cs = f / t;
    sn = g / t;
    s[j] = t;
    f = cs * (e[j] as number) + sn * (s[j + 1] as number);
    s[j + 1] = -sn * (e[j] as number) + cs * (s[j + 1] as number);
    g = sn * (e[j + 1] as number);
    e[j + 1] = cs * (e[j + 1] as number);
    rotateRows(ut, m, j, j + 1, cs, sn);
  }
  e[p - 2] = f;
}
