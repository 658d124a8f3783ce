// Conversions against PyTorch's `tensor.to(dtype)` (test/fixtures/dtype-torch.json, made by gen_dtype.py):
// hand-picked specials compared value by value, exhaustive sets compared through SHA-256 digests.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../backend/backend.js';
import { isKernelError } from '../errors.js';
import {
  bf16ToF32,
  f8e4m3fnToF32,
  f8e5m2ToF32,
  f16ToF32,
  f32ToBf16,
  f32ToF8e4m3fn,
  f32ToF8e5m2,
  f32ToF16,
  fromFloat32,
  toFloat32,
} from './convert.js';
import { f8e4m3fnBitsToF32Bits, f8e5m2BitsToF32Bits } from './fp8.js';
import { bf16BitsToF32Bits, f16BitsToF32Bits } from './half.js';

interface DtypeFixture {
  special: { input: number[]; f16: number[]; bf16: number[]; f8e4m3fn: number[]; f8e5m2: number[] };
  f8_to_f32: { f8e4m3fn: number[]; f8e5m2: number[] };
  digests: Record<string, string>;
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/dtype-torch.json', import.meta.url), 'utf8'),
) as DtypeFixture;

const sha256 = (a: ArrayBufferView): string =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
const asF32 = (bits: Uint32Array): Float32Array =>
  new Float32Array(bits.buffer, bits.byteOffset, bits.length);
const bitsOf = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);

/** 2^20 float32 bit patterns from xorshift32 (seed 0x12345678), as gen_dtype.py makes them. */
function randomBits(): Uint32Array {
  const out = new Uint32Array(1 << 20);
  let x = 0x12345678;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 0;
  }
  return out;
}

/** value(c), mid(c) ± 1 bit and mid(c) for every finite non-negative code c, positive then negative. */
function midpointBits(decode: (code: number) => number, count: number): Uint32Array {
  const scratch = new Float32Array(1);
  const bits = new Uint32Array(scratch.buffer);
  const value = (code: number): number => {
    bits[0] = decode(code);
    return scratch[0] as number;
  };
  const pos = new Uint32Array(count * 4);
  for (let c = 0; c < count; c++) {
    const lo = value(c);
    const next = c + 1 < count ? value(c + 1) : 2 * lo - value(c - 1);
    scratch[0] = lo;
    const loBits = bits[0] as number;
    scratch[0] = (lo + next) / 2;
    const mid = bits[0] as number;
    pos.set([loBits, Math.max(0, mid - 1), mid, mid + 1], c * 4);
  }
  const out = new Uint32Array(count * 8);
  out.set(pos);
  for (let i = 0; i < pos.length; i++) out[pos.length + i] = ((pos[i] as number) | 0x80000000) >>> 0;
  return out;
}

const MIDPOINTS = {
  f16: () => midpointBits(f16BitsToF32Bits, 0x7c00),
  bf16: () => midpointBits(bf16BitsToF32Bits, 0x7f80),
  f8e4m3fn: () => midpointBits(f8e4m3fnBitsToF32Bits, 0x7f),
  f8e5m2: () => midpointBits(f8e5m2BitsToF32Bits, 0x7c),
};
const ALL16 = Uint16Array.from({ length: 65536 }, (_, i) => i);

describe('inputs of the exhaustive sets are the ones gen_dtype.py used', () => {
  it('random and midpoint inputs', () => {
    expect(sha256(randomBits())).toBe(fixture.digests.random_input);
    for (const [fmt, make] of Object.entries(MIDPOINTS)) {
      expect(sha256(make()), fmt).toBe(fixture.digests[`${fmt}_midpoints_input`]);
    }
  });
});

describe.each(['wasm', 'js'] as BackendName[])('f16/bf16 conversions vs PyTorch (%s)', (backend) => {
  it('every f16 and bf16 code → f32, exact (NaN payloads included)', () => {
    expect(sha256(f16ToF32(ALL16, { backend }))).toBe(fixture.digests.f16_to_f32);
    expect(sha256(bf16ToF32(ALL16, { backend }))).toBe(fixture.digests.bf16_to_f32);
  });

  it('f32 → f16 / bf16 on specials, midpoints ± 1 ulp and 2^20 random bit patterns', () => {
    const special = asF32(Uint32Array.from(fixture.special.input));
    expect([...f32ToF16(special, { backend })]).toEqual(fixture.special.f16);
    expect([...f32ToBf16(special, { backend })]).toEqual(fixture.special.bf16);
    expect(sha256(f32ToF16(asF32(MIDPOINTS.f16()), { backend }))).toBe(fixture.digests.f16_midpoints);
    expect(sha256(f32ToBf16(asF32(MIDPOINTS.bf16()), { backend }))).toBe(fixture.digests.bf16_midpoints);
    const random = asF32(randomBits());
    expect(sha256(f32ToF16(random, { backend }))).toBe(fixture.digests.f16_random);
    expect(sha256(f32ToBf16(random, { backend }))).toBe(fixture.digests.bf16_random);
  });
});

describe('float8 conversions vs PyTorch', () => {
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  it('every code → f32, exact', () => {
    expect([...bitsOf(f8e4m3fnToF32(codes))]).toEqual(fixture.f8_to_f32.f8e4m3fn);
    expect([...bitsOf(f8e5m2ToF32(codes))]).toEqual(fixture.f8_to_f32.f8e5m2);
  });

  it('f32 → e4m3fn (saturating) and e5m2 on specials, midpoints and random bit patterns', () => {
    const special = asF32(Uint32Array.from(fixture.special.input));
    expect([...f32ToF8e4m3fn(special)]).toEqual(fixture.special.f8e4m3fn);
    expect([...f32ToF8e5m2(special)]).toEqual(fixture.special.f8e5m2);
    expect(sha256(f32ToF8e4m3fn(asF32(MIDPOINTS.f8e4m3fn())))).toBe(fixture.digests.f8e4m3fn_midpoints);
    expect(sha256(f32ToF8e5m2(asF32(MIDPOINTS.f8e5m2())))).toBe(fixture.digests.f8e5m2_midpoints);
    const random = asF32(randomBits());
    expect(sha256(f32ToF8e4m3fn(random))).toBe(fixture.digests.f8e4m3fn_random);
    expect(sha256(f32ToF8e5m2(random))).toBe(fixture.digests.f8e5m2_random);
  });

  it('saturation and overflow as PyTorch: e4m3fn 480 → 448, Inf → 448; e5m2 61440 → Inf', () => {
    const x = new Float32Array([464, 470, 480, Number.POSITIVE_INFINITY, -1e9, 61439, 61440]);
    expect([...f32ToF8e4m3fn(x)]).toEqual([0x7e, 0x7e, 0x7e, 0x7e, 0xfe, 0x7e, 0x7e]);
    expect([...f32ToF8e5m2(x)]).toEqual([0x5f, 0x5f, 0x60, 0x7c, 0xfc, 0x7b, 0x7c]); // 480: tie → 512
  });
});

describe('both backends agree bit for bit on any input (fast-check)', () => {
  it('f32 → f16/bf16 and back, any bit pattern and any length', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 70 }), (raw) => {
        const x = asF32(Uint32Array.from(raw));
        const h = f32ToF16(x, { backend: 'wasm' });
        expect([...h]).toEqual([...f32ToF16(x, { backend: 'js' })]);
        expect([...f32ToBf16(x, { backend: 'wasm' })]).toEqual([...f32ToBf16(x, { backend: 'js' })]);
        expect([...bitsOf(f16ToF32(h, { backend: 'wasm' }))]).toEqual([
          ...bitsOf(f16ToF32(h, { backend: 'js' })),
        ]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('round trips and generic helpers', () => {
  it('every non-NaN f16 / bf16 code survives → f32 → back', () => {
    const f16 = f32ToF16(f16ToF32(ALL16));
    const bf16 = f32ToBf16(bf16ToF32(ALL16));
    const changed: number[] = [];
    for (let c = 0; c < 65536; c++) {
      if (((c & 0x7c00) !== 0x7c00 || (c & 0x3ff) === 0) && f16[c] !== c) changed.push(c);
      if (((c & 0x7f80) !== 0x7f80 || (c & 0x7f) === 0) && bf16[c] !== c) changed.push(c);
    }
    expect(changed).toEqual([]);
  });

  it('toFloat32 / fromFloat32 dispatch on the dtype and copy', () => {
    const x = new Float32Array([1, -2.5, 65504]);
    expect([...fromFloat32(x, 'f16')]).toEqual([0x3c00, 0xc100, 0x7bff]);
    expect([...toFloat32({ data: new Uint16Array([0x3f80, 0xc020]), dtype: 'bf16' })]).toEqual([1, -2.5]);
    const copy = toFloat32({ data: x, dtype: 'f32' });
    expect(copy).not.toBe(x);
    expect([...copy]).toEqual([...x]);
  });

  it('rejects wrong arrays and dtypes with KernelError codes', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isKernelError(e) ? e.code : 'not a KernelError';
      }
      return undefined;
    };
    expect(codeOf(() => f16ToF32(new Float32Array(2) as unknown as Uint16Array))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => f32ToF16(new Float32Array(2), { out: new Uint16Array(3) }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => fromFloat32(new Float32Array(1), 'f64' as 'f32'))).toBe('UNSUPPORTED_DTYPE');
    expect(codeOf(() => f16ToF32(new Uint16Array(1), { backend: 'gpu' as 'js' }))).toBe('INVALID_ARGUMENT');
  });
});
