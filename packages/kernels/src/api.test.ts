// Public functions: both backends agree on random adapters (fast-check), and bad input fails with KernelError codes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adaloraDelta, mergeAdalora } from './adalora.js';
import type { BackendName } from './backend/backend.js';
import { defaultBackend } from './backend/select-backend.js';
import { doraFactor, mergeDora, unmergeDora } from './dora.js';
import type { FloatDtype, Weight } from './dtype.js';
import { isKernelError, type KernelErrorCode } from './errors.js';
import { mergeIa3, unmergeIa3 } from './ia3.js';
import { loraDelta, mergeLora, unmergeLora } from './lora.js';

const small = fc.float({ min: -2, max: 2, noNaN: true });
const floats = (n: number) =>
  fc.array(small, { minLength: n, maxLength: n }).map((v) => Float32Array.from(v));

const case_ = fc
  .record({
    out: fc.integer({ min: 1, max: 19 }),
    inp: fc.integer({ min: 1, max: 21 }),
    rank: fc.integer({ min: 1, max: 6 }),
    dtype: fc.constantFrom<FloatDtype>('f32', 'f16', 'bf16'),
    fanInFanOut: fc.boolean(),
    scaling: fc.constantFrom(0.5, 2, 8 / Math.sqrt(3)),
  })
  .chain((s) =>
    fc.record({
      s: fc.constant(s),
      w: floats(s.out * s.inp),
      a: floats(s.rank * s.inp),
      b: floats(s.out * s.rank),
      m: fc.array(fc.float({ min: Math.fround(0.1), max: 3, noNaN: true }), {
        minLength: s.out,
        maxLength: s.out,
      }),
    }),
  );
type Case = typeof case_ extends fc.Arbitrary<infer T> ? T : never;

function weightOf(c: Case): Weight {
  const { out, inp, dtype, fanInFanOut } = c.s;
  const [rows, cols] = fanInFanOut ? [inp, out] : [out, inp];
  if (dtype === 'f32') return { data: c.w.slice(), dtype, rows, cols };
  const bits = new Uint32Array(c.w.slice().buffer);
  return { data: Uint16Array.from(bits, (x) => x >>> 16), dtype, rows, cols };
}

const loraOf = (c: Case) => ({
  a: c.a,
  b: c.b,
  rank: c.s.rank,
  inFeatures: c.s.inp,
  outFeatures: c.s.out,
  scaling: c.s.scaling,
  fanInFanOut: c.s.fanInFanOut,
});

function both(run: (backend: BackendName) => ArrayLike<number>[]): void {
  const w = run('wasm').map((x) => Array.from(x));
  const j = run('js').map((x) => Array.from(x));
  expect(w).toEqual(j);
}

describe('wasm and js give identical results through the public API', () => {
  it('reports WebAssembly as the default backend in Node', () => {
    expect(defaultBackend()).toBe('wasm');
  });

  it('LoRA merge / unmerge / delta, any dtype and layout', () => {
    fc.assert(
      fc.property(case_, (c) =>
        both((backend) => {
          const w = weightOf(c);
          mergeLora(w, loraOf(c), { backend });
          const merged = w.data.slice();
          unmergeLora(w, loraOf(c), { backend });
          return [merged, w.data, loraDelta(loraOf(c), { backend })];
        }),
      ),
      { numRuns: 150 },
    );
  });

  it('DoRA factor / merge / unmerge, any dtype and layout', () => {
    fc.assert(
      fc.property(case_, (c) =>
        both((backend) => {
          const w = weightOf(c);
          const dora = { ...loraOf(c), magnitude: Float32Array.from(c.m) };
          const g = doraFactor(w, dora, { backend });
          const norms = mergeDora(w, dora, { backend });
          const merged = w.data.slice();
          unmergeDora(w, dora, norms, { backend });
          return [g, norms, merged, w.data];
        }),
      ),
      { numRuns: 150 },
    );
  });

  it('IA3 and AdaLoRA, any dtype and layout', () => {
    fc.assert(
      fc.property(case_, fc.boolean(), (c, feedforward) =>
        both((backend) => {
          const w = weightOf(c);
          const fifo = c.s.fanInFanOut;
          const n = feedforward !== fifo ? w.cols : w.rows;
          const ia3 = {
            l: Float32Array.from({ length: n }, (_, i) => 0.5 + i / n),
            feedforward,
            fanInFanOut: fifo,
          };
          mergeIa3(w, ia3, { backend });
          const merged = w.data.slice();
          unmergeIa3(w, ia3, { backend });
          const ada = {
            ...loraOf(c),
            e: Float32Array.from({ length: c.s.rank }, (_, i) => i - 1),
            ranknum: 6,
          };
          const w2 = weightOf(c);
          mergeAdalora(w2, ada, { backend });
          return [merged, w.data, w2.data, adaloraDelta(ada, { backend })];
        }),
      ),
      { numRuns: 150 },
    );
  });
});

function codeOf(fn: () => unknown): KernelErrorCode | 'none' | 'other' {
  try {
    fn();
    return 'none';
  } catch (e) {
    return isKernelError(e) ? e.code : 'other';
  }
}

describe('errors', () => {
  const a = new Float32Array(2 * 4);
  const b = new Float32Array(3 * 2);
  const lora = { a, b, rank: 2, inFeatures: 4, outFeatures: 3, scaling: 2 };
  const w = (rows: number, cols: number, dtype: FloatDtype = 'f32'): Weight => ({
    data: dtype === 'f32' ? new Float32Array(rows * cols) : new Uint16Array(rows * cols),
    dtype,
    rows,
    cols,
  });

  it('SHAPE_MISMATCH for weights and factors that do not fit', () => {
    expect(codeOf(() => mergeLora(w(4, 3), lora))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => mergeLora(w(4, 3), { ...lora, fanInFanOut: true }))).toBe('none');
    expect(codeOf(() => mergeLora(w(3, 4), { ...lora, a: new Float32Array(7) }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => mergeLora({ ...w(3, 4), rows: 2 }, lora))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => mergeDora(w(3, 4), { ...lora, magnitude: new Float32Array(4) }))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(codeOf(() => mergeIa3(w(3, 4), { l: new Float32Array(3), feedforward: true }))).toBe(
      'SHAPE_MISMATCH',
    );
  });

  it('UNSUPPORTED_DTYPE and INVALID_ARGUMENT for wrong dtypes, arrays and values', () => {
    expect(codeOf(() => mergeLora({ ...w(3, 4), dtype: 'f64' as 'f32' }, lora))).toBe('UNSUPPORTED_DTYPE');
    expect(codeOf(() => mergeLora({ ...w(3, 4), dtype: 'f16' }, lora))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mergeLora(w(3, 4), { ...lora, scaling: Number.NaN }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mergeLora(w(3, 4), { ...lora, rank: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mergeLora(w(3, 4), { ...lora, adapterDtype: 'f8' as 'f16' }))).toBe(
      'UNSUPPORTED_DTYPE',
    );
    expect(codeOf(() => mergeLora(w(3, 4), { ...lora, a: [] as unknown as Float32Array }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('a failed check leaves the weight untouched', () => {
    const weight = w(3, 4);
    weight.data.fill(1);
    expect(codeOf(() => mergeLora(weight, { ...lora, b: new Float32Array(5) }))).toBe('SHAPE_MISMATCH');
    expect([...weight.data]).toEqual(new Array(12).fill(1));
  });
});
