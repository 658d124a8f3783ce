import { roundShiftEven } from './half.js';

/**
 * Bit-exact scalar conversions between float32 and the 8-bit floats `float8_e4m3fn` and `float8_e5m2`, as
 * PyTorch 2.13's `tensor.to(dtype)` does them on CPU. Values are raw bit patterns.
 */

/**
 * float8_e4m3fn bits → float32 bits, exact. E4M3FN has no infinities; `0x7f`/`0xff` are NaN (→ `0x7ff00000`
 * with the sign).
 *
 * @param b - float8_e4m3fn bit pattern, 0..0xff
 * @returns float32 bit pattern
 */
export function f8e4m3fnBitsToF32Bits(b: number): number {
  const sign = (b & 0x80) << 24;
  const exp = (b >>> 3) & 0xf;
  const mant = b & 0x7;
  if (exp === 0xf && mant === 0x7) return (sign | 0x7ff00000) >>> 0;
  if (exp !== 0) return (sign | ((exp + 120) << 23) | (mant << 20)) >>> 0;
  if (mant === 0) return sign >>> 0;
  const lead = 31 - Math.clz32(mant); // value = mant * 2^-9
  return (sign | ((118 + lead) << 23) | ((mant << (23 - lead)) & 0x7fffff)) >>> 0;
}

/**
 * float32 bits → float8_e4m3fn bits, rounded to nearest even. PyTorch saturates: every finite value that would
 * round past 448 and ±Inf give ±448 (`0x7e`/`0xfe`); NaN gives `0x7f` with the sign.
 *
 * @param bits - float32 bit pattern
 * @returns float8_e4m3fn bit pattern
 */
export function f32BitsToF8e4m3fnBits(bits: number): number {
  const sign = (bits >>> 24) & 0x80;
  const x = bits & 0x7fffffff;
  if (x > 0x7f800000) return sign | 0x7f;
  if (x >= 0x43f00000) return sign | 0x7e; // >= 480 (and Inf): saturate
  if (x >= 0x3c800000) {
    // normal (>= 2^-6): rebias 127 → 7 and round the 20 dropped bits
    const r = (x - 0x3c000000 + 0x7ffff + ((x >>> 20) & 1)) >>> 20;
    return sign | (r === 0x7f ? 0x7e : r);
  }
  const shift = 141 - (x >>> 23); // value / 2^-9 = m * 2^(e - 141)
  if (shift > 24) return sign;
  return sign | roundShiftEven((x & 0x7fffff) | 0x800000, shift);
}

/**
 * float8_e5m2 bits → float32 bits, exact (Inf stays Inf; NaNs become quiet, keeping sign and payload).
 *
 * @param b - float8_e5m2 bit pattern, 0..0xff
 * @returns float32 bit pattern
 */
export function f8e5m2BitsToF32Bits(b: number): number {
  const sign = (b & 0x80) << 24;
  const exp = (b >>> 2) & 0x1f;
  const mant = b & 0x3;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 21) | (mant !== 0 ? 0x400000 : 0)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 21)) >>> 0;
  if (mant === 0) return sign >>> 0;
  const lead = 31 - Math.clz32(mant); // value = mant * 2^-16
  return (sign | ((111 + lead) << 23) | ((mant << (23 - lead)) & 0x7fffff)) >>> 0;
}

/**
 * float32 bits → float8_e5m2 bits, rounded to nearest even. Not saturating: values that round past 57344 and
 * ±Inf give ±Inf (`0x7c`/`0xfc`); NaN gives `0x7f` with the sign.
 *
 * @param bits - float32 bit pattern
 * @returns float8_e5m2 bit pattern
 */
export function f32BitsToF8e5m2Bits(bits: number): number {
  const sign = (bits >>> 24) & 0x80;
  const x = bits & 0x7fffffff;
  if (x > 0x7f800000) return sign | 0x7f;
  if (x >= 0x47800000) return sign | 0x7c; // >= 65536 (and Inf)
  if (x >= 0x38800000) {
    // normal (>= 2^-14): rebias 127 → 15 and round the 21 dropped bits (may round up to Inf)
    return sign | ((x - 0x38000000 + 0xfffff + ((x >>> 21) & 1)) >>> 21);
  }
  const shift = 134 - (x >>> 23); // value / 2^-16 = m * 2^(e - 134)
  if (shift > 24) return sign;
  return sign | roundShiftEven((x & 0x7fffff) | 0x800000, shift);
}
