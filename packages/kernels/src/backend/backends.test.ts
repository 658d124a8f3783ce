// The WebAssembly SIMD and TypeScript backends give the same bits on random data (fast-check), and both match
// a reference written with the public matmul.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FloatBuffer, FloatDtype } from '../dtype.js';
import { matmul } from '../matmul.js';
import type { Backend, LowRankJob } from './backend.js';
import { jsBackend } from './js-backend.js';
import { wasmBackend } from './wasm-backend.js';

const wasm = wasmBackend() as Backend;
const DTYPES: FloatDtype[] = ['f32', 'f16', 'bf16'];

it('WebAssembly SIMD is available in Node', () => {
  expect(wasm?.name).toBe('wasm');
});

/** Bits of any buffer, for exact comparison (no NaNs are generated, so bits are deterministic). */
function bits(b: FloatBuffer): number[] {
  return b.dtype === 'f32'
    ? [...new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length)]
    : [...b.data];
}

const f32Value = fc.float({ min: -1e4, max: 1e4, noNaN: true });
/** A finite f16/bf16 bit pattern. */
const halfBits = (dtype: FloatDtype) =>
  fc
    .integer({ min: 0, max: 0xffff })
    .filter((h) => (h & (dtype === 'f16' ? 0x7c00 : 0x7f80)) !== (dtype === 'f16' ? 0x7c00 : 0x7f80));

function buffer(dtype: FloatDtype, n: number): fc.Arbitrary<FloatBuffer> {
  return dtype === 'f32'
    ? fc.array(f32Value, { minLength: n, maxLength: n }).map((v) => ({ data: Float32Array.from(v), dtype }))
    : fc
        .array(halfBits(dtype), { minLength: n, maxLength: n })
        .map((v) => ({ data: Uint16Array.from(v), dtype }));
}

const clone = (b: FloatBuffer): FloatBuffer => ({ data: b.data.slice(), dtype: b.dtype });
const empty = (dtype: FloatDtype, n: number): FloatBuffer => ({
  data: dtype === 'f32' ? new Float32Array(n) : new Uint16Array(n),
  dtype,
});

const jobArb = fc
  .record({
    rows: fc.integer({ min: 0, max: 9 }),
    cols: fc.integer({ min: 0, max: 37 }),
    rank: fc.integer({ min: 0, max: 12 }),
    srcDtype: fc.constantFrom(...DTYPES),
    dstDtype: fc.constantFrom(...DTYPES),
    roundDelta: fc.constantFrom(...DTYPES),
    scale: fc.double({ min: -8, max: 8, noNaN: true }),
    divisor: fc.constantFrom(1, 6.00001, 0.3),
    subtract: fc.boolean(),
    inPlace: fc.boolean(),
  })
  .chain((s) =>
    fc.record({
      s: fc.constant(s),
      src: buffer(s.srcDtype, s.rows * s.cols),
      p: fc.array(f32Value, { minLength: s.rows * s.rank, maxLength: s.rows * s.rank }),
      q: fc.array(f32Value, { minLength: s.rank * s.cols, maxLength: s.rank * s.cols }),
    }),
  );

type JobInput = typeof jobArb extends fc.Arbitrary<infer T> ? T : never;

function run(backend: Backend, x: JobInput): FloatBuffer {
  const { s } = x;
  const src = clone(x.src);
  const dst = s.inPlace ? src : empty(s.dstDtype, s.rows * s.cols);
  const job: LowRankJob = {
    src,
    dst,
    rows: s.rows,
    cols: s.cols,
    rank: s.rank,
    p: Float32Array.from(x.p),
    q: Float32Array.from(x.q),
    scale: s.scale,
    divisor: s.divisor,
    subtract: s.subtract,
    roundDelta: s.roundDelta,
  };
  backend.lowRank(job);
  return dst;
}

/** The kernel's contract written out with matmul and typed-array rounding. */
function reference(x: JobInput): FloatBuffer {
  const { s } = x;
  const { rows, cols, rank } = s;
  const dot = matmul(Float32Array.from(x.p), Float32Array.from(x.q), rows, rank, cols);
  let w = x.src.data as Float32Array;
  if (x.src.dtype !== 'f32') {
    w = new Float32Array(rows * cols);
    jsBackend.toF32(x.src.data as Uint16Array, x.src.dtype, w);
  }
  const f = Math.fround;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    let d = f(f((dot[i] as number) * f(s.scale)) / f(s.divisor));
    if (s.roundDelta !== 'f32') d = jsRound(d, s.roundDelta);
    out[i] = s.subtract ? (w[i] as number) - d : (w[i] as number) + d;
  }
  const dtype = s.inPlace ? s.srcDtype : s.dstDtype;
  const dst = empty(dtype, rows * cols);
  if (dtype === 'f32') (dst.data as Float32Array).set(out);
  else jsBackend.fromF32(out, dtype, dst.data as Uint16Array);
  return dst;
}

function jsRound(v: number, dtype: 'f16' | 'bf16'): number {
  const h = new Uint16Array(1);
  const o = new Float32Array(1);
  jsBackend.fromF32(new Float32Array([v]), dtype, h);
  jsBackend.toF32(h, dtype, o);
  return o[0] as number;
}

describe('lowRank', () => {
  it('wasm ≡ js ≡ reference, bit for bit, for every dtype combination', () => {
    fc.assert(
      fc.property(jobArb, (x) => {
        const a = bits(run(wasm, x));
        expect(a).toEqual(bits(run(jsBackend, x)));
        expect(a).toEqual(bits(reference(x)));
      }),
      { numRuns: 400 },
    );
  });

  it('chunked WebAssembly runs (a weight larger than one 8 MB chunk) match TypeScript', () => {
    const rows = 1100;
    const cols = 2000;
    const rank = 3;
    const src = {
      data: Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i)),
      dtype: 'f32' as const,
    };
    const p = Float32Array.from({ length: rows * rank }, (_, i) => Math.cos(i) * 0.1);
    const q = Float32Array.from({ length: rank * cols }, (_, i) => Math.sin(i * 0.7) * 0.1);
    const job = (b: FloatBuffer) =>
      ({
        src,
        dst: b,
        rows,
        cols,
        rank,
        p,
        q,
        scale: 2,
        divisor: 1,
        subtract: false,
        roundDelta: 'f32',
      }) as const;
    const a = empty('f16', rows * cols);
    const b = empty('f16', rows * cols);
    wasm.lowRank(job(a));
    jsBackend.lowRank(job(b));
    expect(a.data.some((v, i) => v !== b.data[i])).toBe(false);
    expect(a.data.some((v) => v !== 0)).toBe(true);
  });
});

describe('scale and sums of squares', () => {
  it('scale: wasm ≡ js for rows/columns, multiply/divide, any dtypes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(...DTYPES),
        fc.constantFrom(...DTYPES),
        fc.boolean(),
        fc.boolean(),
        (rows, cols, sd, dd, perCol, divide) => {
          const src = fc.sample(buffer(sd, rows * cols), 1)[0] as FloatBuffer;
          const factors = Float32Array.from(
            fc.sample(fc.float({ min: Math.fround(0.01), max: 4, noNaN: true }), perCol ? cols : rows),
          );
          const out = (backend: Backend) => {
            const dst = empty(dd, rows * cols);
            backend.scale({ src, dst, rows, cols, factors, perCol, divide });
            return bits(dst);
          };
          expect(out(wasm)).toEqual(out(jsBackend));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rowSumSquares / colSumSquares: wasm ≡ js, and equal to the f64 sums', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 19 }), (rows, cols) => {
        const x = Float32Array.from(fc.sample(f32Value, rows * cols));
        const r = wasm.rowSumSquares(x, rows, cols);
        expect([...r]).toEqual([...jsBackend.rowSumSquares(x, rows, cols)]);
        const accW = new Float64Array(cols).fill(0.5);
        const accJ = new Float64Array(cols).fill(0.5);
        wasm.colSumSquares(x, rows, cols, accW);
        jsBackend.colSumSquares(x, rows, cols, accJ);
        expect([...accW]).toEqual([...accJ]);
        for (let i = 0; i < rows; i++) {
          let s = 0;
          for (let j = 0; j < cols; j++) s += (x[i * cols + j] as number) ** 2;
          expect(r[i]).toBeCloseTo(s, 6);
        }
      }),
      { numRuns: 200 },
    );
  });
});
