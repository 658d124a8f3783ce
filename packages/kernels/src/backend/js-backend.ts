import {
  bf16ToF32Js,
  f16BitsToF32Bits,
  f16ToF32Js,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  f32ToBf16Js,
  f32ToF16Js,
} from '../convert/half.js';
import type { FloatBuffer, FloatDtype } from '../dtype.js';
import type { Backend, LowRankJob, ScaleJob } from './backend.js';

// Arithmetic notes (why this matches the WebAssembly kernels bit for bit): a JS number holds every f32 exactly;
// the product of two f32 values is exact in f64; and one f64 +, −, ×, ÷ of f32 operands followed by
// Math.fround (or a Float32Array store) is the correctly rounded f32 result, because 53 ≥ 2·24 + 2.

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Rounds an f32 value to `dtype` and back. */
function roundTo(value: number, dtype: FloatDtype): number {
  if (dtype === 'f32') return value;
  scratchF32[0] = value;
  const bits = scratchU32[0] as number;
  scratchU32[0] =
    dtype === 'f16' ? f16BitsToF32Bits(f32BitsToF16Bits(bits)) : (f32BitsToBf16Bits(bits) << 16) >>> 0;
  return scratchF32[0] as number;
}

/** Row `i` of `src` (any dtype) into `row` as f32. */
function loadRow(src: FloatBuffer, i: number, cols: number, row: Float32Array, bits: Uint32Array): void {
  const start = i * cols;
  if (src.dtype === 'f32') row.set(src.data.subarray(start, start + cols) as Float32Array);
  else if (src.dtype === 'f16') f16ToF32Js(src.data.subarray(start, start + cols) as Uint16Array, bits);
  else bf16ToF32Js(src.data.subarray(start, start + cols) as Uint16Array, bits);
}

/** `row` (f32) into row `i` of `dst` (any dtype). */
function storeRow(row: Float32Array, bits: Uint32Array, dst: FloatBuffer, i: number, cols: number): void {
  const start = i * cols;
  if (dst.dtype === 'f32') (dst.data as Float32Array).set(row, start);
  else if (dst.dtype === 'f16') f32ToF16Js(bits, dst.data.subarray(start, start + cols) as Uint16Array);
  else f32ToBf16Js(bits, dst.data.subarray(start, start + cols) as Uint16Array);
}

function lowRank(job: LowRankJob): void {
  const { rows, cols, rank, p, q, subtract, roundDelta } = job;
  const scale = Math.fround(job.scale);
  const divisor = Math.fround(job.divisor);
  // q transposed to [cols, rank] so that the k loop reads contiguously
  const qt = new Float64Array(cols * rank);
  for (let k = 0; k < rank; k++) {
    for (let j = 0; j < cols; j++) qt[j * rank + k] = q[k * cols + j] as number;
  }
  const row = new Float32Array(cols);
  const bits = new Uint32Array(row.buffer);
  const pRow = new Float64Array(rank);
  for (let i = 0; i < rows; i++) {
    loadRow(job.src, i, cols, row, bits);
    for (let k = 0; k < rank; k++) pRow[k] = p[i * rank + k] as number;
    for (let j = 0; j < cols; j++) {
      const o = j * rank;
      let acc = 0;
      // f32 fused multiply-add chain: the f64 product is exact, the sum is rounded to f32 each step
      for (let k = 0; k < rank; k++) acc = Math.fround(acc + (pRow[k] as number) * (qt[o + k] as number));
      let d = Math.fround(Math.fround(acc * scale) / divisor);
      if (roundDelta !== 'f32') d = roundTo(d, roundDelta);
      const w = row[j] as number;
      row[j] = subtract ? w - d : w + d;
    }
    storeRow(row, bits, job.dst, i, cols);
  }
}

function scale(job: ScaleJob): void {
  const { rows, cols, factors, perCol, divide } = job;
  const row = new Float32Array(cols);
  const bits = new Uint32Array(row.buffer);
  for (let i = 0; i < rows; i++) {
    loadRow(job.src, i, cols, row, bits);
    if (perCol) {
      for (let j = 0; j < cols; j++) {
        const f = factors[j] as number;
        row[j] = divide ? (row[j] as number) / f : (row[j] as number) * f;
      }
    } else {
      const f = factors[i] as number;
      for (let j = 0; j < cols; j++) row[j] = divide ? (row[j] as number) / f : (row[j] as number) * f;
    }
    storeRow(row, bits, job.dst, i, cols);
  }
}

function rowSumSquares(src: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const base = i * cols;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const x0 = src[base + j] as number;
      const x1 = src[base + j + 1] as number;
      const x2 = src[base + j + 2] as number;
      const x3 = src[base + j + 3] as number;
      s0 += x0 * x0;
      s1 += x1 * x1;
      s2 += x2 * x2;
      s3 += x3 * x3;
    }
    for (let t = 0; j + t < cols; t++) {
      const x = src[base + j + t] as number;
      if (t === 0) s0 += x * x;
      else if (t === 1) s1 += x * x;
      else s2 += x * x;
    }
    out[i] = s0 + s1 + (s2 + s3);
  }
  return out;
}

function colSumSquares(src: Float32Array, rows: number, cols: number, acc: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      const x = src[base + j] as number;
      acc[j] = (acc[j] as number) + x * x;
    }
  }
}

/** The plain TypeScript backend. @internal */
export const jsBackend: Backend = {
  name: 'js',
  toF32(src, dtype, dst) {
    const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
    if (dtype === 'f16') f16ToF32Js(src, bits);
    else bf16ToF32Js(src, bits);
  },
  fromF32(src, dtype, dst) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    if (dtype === 'f16') f32ToF16Js(bits, dst);
    else f32ToBf16Js(bits, dst);
  },
  lowRank,
  scale,
  rowSumSquares,
  colSumSquares,
};
