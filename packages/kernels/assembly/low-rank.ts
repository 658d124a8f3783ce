// The fused low-rank update, scaling and reductions (AssemblyScript). The TypeScript twins live in
// src/backend/js-backend.ts and must give the same bits; the comments there state the arithmetic.

import { dtShift, fromF32, roundScalar, roundVector, toF32 } from './convert';

/** f64x2 lanes rounded to f32 and back: one step of PyTorch's f32 fused multiply-add chain. */
function round64(a: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(a));
}

/** Two f64x2 (already f32-exact) packed into one f32x4. */
function pack(a: v128, b: v128): v128 {
  return i8x16.shuffle(
    f32x4.demote_f64x2_zero(a),
    f32x4.demote_f64x2_zero(b),
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
  );
}

/** Post-processes 4 accumulated products and adds them to the f32 row at `at`. */
function finish(acc: v128, at: usize, scale: v128, divisor: v128, subtract: i32, roundDt: i32): void {
  let d = f32x4.div(f32x4.mul(acc, scale), divisor);
  d = roundVector(d, roundDt);
  const w = v128.load(at);
  v128.store(at, subtract !== 0 ? f32x4.sub(w, d) : f32x4.add(w, d));
}

/**
 * dst[i, j] = cast(src[i, j] ± round(((Σ_k p[i, k] · q[k, j]) · scale) / divisor)) for a block of `rows` rows:
 * the sum is a chain of f32 fused multiply-adds in k order (each step exact in f64, then rounded to f32),
 * every other step is one f32 operation. `qd` holds q as f64, `row` is scratch for `cols` f32 values.
 */
export function lowRank(
  src: usize,
  srcDt: i32,
  dst: usize,
  dstDt: i32,
  rows: i32,
  cols: i32,
  p: usize,
  qd: usize,
  rank: i32,
  scale: f32,
  divisor: f32,
  subtract: i32,
  roundDt: i32,
  row: usize,
): void {
  const vs = f32x4.splat(scale);
  const vd = f32x4.splat(divisor);
  const qStride = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) {
    toF32(src + ((<usize>i * cols) << dtShift(srcDt)), srcDt, row, cols);
    const pRow = p + ((<usize>i * rank) << 2);
    let j = 0;
    for (; j + 8 <= cols; j += 8) {
      let a0 = f64x2.splat(0);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      let q = qd + ((<usize>j) << 3);
      for (let k = 0; k < rank; k++) {
        const pk = f64x2.splat(<f64>load<f32>(pRow + ((<usize>k) << 2)));
        a0 = round64(f64x2.add(a0, f64x2.mul(pk, v128.load(q))));
        a1 = round64(f64x2.add(a1, f64x2.mul(pk, v128.load(q, 16))));
        a2 = round64(f64x2.add(a2, f64x2.mul(pk, v128.load(q, 32))));
        a3 = round64(f64x2.add(a3, f64x2.mul(pk, v128.load(q, 48))));
        q += qStride;
      }
      const at = row + ((<usize>j) << 2);
      finish(pack(a0, a1), at, vs, vd, subtract, roundDt);
      finish(pack(a2, a3), at + 16, vs, vd, subtract, roundDt);
    }
    for (; j < cols; j++) {
      let acc: f64 = 0;
      let q = qd + ((<usize>j) << 3);
      for (let k = 0; k < rank; k++) {
        acc = <f64>(<f32>(acc + <f64>load<f32>(pRow + ((<usize>k) << 2)) * load<f64>(q)));
        q += qStride;
      }
      let d = (<f32>acc * scale) / divisor;
      d = roundScalar(d, roundDt);
      const at = row + ((<usize>j) << 2);
      const w = load<f32>(at);
      store<f32>(at, subtract !== 0 ? w - d : w + d);
    }
    fromF32(row, dstDt, dst + ((<usize>i * cols) << dtShift(dstDt)), cols);
  }
}

/**
 * dst[i, j] = cast(src[i, j] · f) (or `/ f` when `divide`), f = factors[i] (`perCol` 0) or factors[j]
 * (`perCol` 1), one f32 operation per element.
 */
export function scale(
  src: usize,
  srcDt: i32,
  dst: usize,
  dstDt: i32,
  rows: i32,
  cols: i32,
  factors: usize,
  perCol: i32,
  divide: i32,
  row: usize,
): void {
  const n4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    toF32(src + ((<usize>i * cols) << dtShift(srcDt)), srcDt, row, cols);
    const fRow = load<f32>(factors + ((<usize>i) << 2));
    const vRow = f32x4.splat(fRow);
    let j = 0;
    for (; j < n4; j += 4) {
      const at = row + ((<usize>j) << 2);
      const f = perCol !== 0 ? v128.load(factors + ((<usize>j) << 2)) : vRow;
      const w = v128.load(at);
      v128.store(at, divide !== 0 ? f32x4.div(w, f) : f32x4.mul(w, f));
    }
    for (; j < cols; j++) {
      const at = row + ((<usize>j) << 2);
      const f = perCol !== 0 ? load<f32>(factors + ((<usize>j) << 2)) : fRow;
      const w = load<f32>(at);
      store<f32>(at, divide !== 0 ? w / f : w * f);
    }
    fromF32(row, dstDt, dst + ((<usize>i * cols) << dtShift(dstDt)), cols);
  }
}

/**
 * out[i] = Σ_j x[i, j]² in f64 (squares are exact), summed in four interleaved partial sums s[j mod 4]
 * combined as (s0 + s1) + (s2 + s3).
 */
export function rowSumSquares(src: usize, rows: i32, cols: i32, out: usize): void {
  const n4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    const base = src + ((<usize>i * cols) << 2);
    let a01 = f64x2.splat(0);
    let a23 = a01;
    let j = 0;
    for (; j < n4; j += 4) {
      const v = v128.load(base + ((<usize>j) << 2));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(
        i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15),
      );
      a01 = f64x2.add(a01, f64x2.mul(lo, lo));
      a23 = f64x2.add(a23, f64x2.mul(hi, hi));
    }
    let s0 = f64x2.extract_lane(a01, 0);
    let s1 = f64x2.extract_lane(a01, 1);
    let s2 = f64x2.extract_lane(a23, 0);
    const s3 = f64x2.extract_lane(a23, 1);
    if (j < cols) {
      const x = <f64>load<f32>(base + ((<usize>j) << 2));
      s0 += x * x;
    }
    if (j + 1 < cols) {
      const x = <f64>load<f32>(base + ((<usize>j + 1) << 2));
      s1 += x * x;
    }
    if (j + 2 < cols) {
      const x = <f64>load<f32>(base + ((<usize>j + 2) << 2));
      s2 += x * x;
    }
    store<f64>(out + ((<usize>i) << 3), s0 + s1 + (s2 + s3));
  }
}

/** acc[j] += Σ_i x[i, j]² in f64, rows in order. */
export function colSumSquares(src: usize, rows: i32, cols: i32, acc: usize): void {
  const n2 = cols & ~1;
  for (let i = 0; i < rows; i++) {
    const base = src + ((<usize>i * cols) << 2);
    let j = 0;
    for (; j < n2; j += 2) {
      const x = f64x2.promote_low_f32x4(v128.load64_zero(base + ((<usize>j) << 2)));
      const at = acc + ((<usize>j) << 3);
      v128.store(at, f64x2.add(v128.load(at), f64x2.mul(x, x)));
    }
    if (j < cols) {
      const x = <f64>load<f32>(base + ((<usize>j) << 2));
      const at = acc + ((<usize>j) << 3);
      store<f64>(at, load<f64>(at) + x * x);
    }
  }
}

/** Widens `n` f32 values to f64. */
export function widen(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<f64>(dst + ((<usize>i) << 3), <f64>load<f32>(src + ((<usize>i) << 2)));
  }
}
