/**
 * Bit-exact scalar conversions between float32 and the 16-bit floats, as PyTorch's `tensor.to(dtype)` does them
 * on x86 CPUs (torch 2.13). All values are raw bit patterns (`number`s holding unsigned integers), so NaN
 * payloads survive.
 */

/** `m / 2^shift` rounded to nearest, ties to even, for `1 <= shift <= 31` and `0 <= m < 2^31`. @internal */
export function roundShiftEven(m: number, shift: number): number {
  const q = m >>> shift;
  const rem = m - q * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

/**
 * float16 bits → float32 bits, exact. NaNs keep sign and payload and become quiet (`0x7c01` → `0x7fc02000`),
 * as PyTorch's (F16C) conversion does.
 *
 * @param h - float16 bit pattern, 0..0xffff
 * @returns float32 bit pattern, 0..0xffffffff
 */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) {
    return (sign | 0x7f800000 | (mant << 13) | (mant !== 0 ? 0x400000 : 0)) >>> 0;
  }
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // subnormal: normalise the mantissa
  const lead = 31 - Math.clz32(mant); // position of the leading one, 0..9
  const e = 103 + lead; // value = mant * 2^-24 = 1.f * 2^(lead - 24)
  return (sign | (e << 23) | ((mant << (23 - lead)) & 0x7fffff)) >>> 0;
}

/**
 * float32 bits → float16 bits, rounded to nearest even. Overflow (|x| ≥ 65520) gives ±Inf, tiny values
 * round to subnormals or ±0, NaN gives a quiet NaN with the sign and the top 10 payload bits
 * (`0xff812345` → `0xfe09`), exactly like PyTorch's `.to(torch.float16)`.
 *
 * @param bits - float32 bit pattern
 * @returns float16 bit pattern
 */
export function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const x = bits & 0x7fffffff;
  if (x > 0x7f800000) return sign | 0x7e00 | ((x >>> 13) & 0x3ff);
  if (x >= 0x477ff000) return sign | 0x7c00;
  if (x >= 0x38800000) {
    // normal: rebias the exponent (127 → 15) and round the 13 dropped bits
    return sign | ((x - 0x38000000 + 0xfff + ((x >>> 13) & 1)) >>> 13);
  }
  const e = x >>> 23;
  const shift = 126 - e; // value / 2^-24 = m * 2^(e - 126), m with its implicit bit
  if (shift > 24) return sign;
  return sign | roundShiftEven((x & 0x7fffff) | 0x800000, shift);
}

/**
 * bfloat16 bits → float32 bits, exact (the bits shifted up by 16; NaN payloads are kept unchanged).
 *
 * @param h - bfloat16 bit pattern
 * @returns float32 bit pattern
 */
export function bf16BitsToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

/**
 * float32 bits → bfloat16 bits, rounded to nearest even; overflow rounds to ±Inf. Every NaN becomes `0xffff`,
 * which is what PyTorch's vectorised (AVX2/AVX-512) CPU conversion writes; PyTorch's scalar path (non-x86
 * builds, `ATEN_CPU_CAPABILITY=default`) writes `0x7fc0` instead.
 *
 * @param bits - float32 bit pattern
 * @returns bfloat16 bit pattern
 */
export function f32BitsToBf16Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0xffff;
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

let f16Table: Uint32Array | undefined;

/** The 65536 float32 bit patterns of every float16, built on first use. @internal */
export function f16ToF32Table(): Uint32Array {
  if (f16Table === undefined) {
    const table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32Bits(h);
    f16Table = table;
  }
  return f16Table;
}

/** Bulk float16 → float32 bits (same length). @internal */
export function f16ToF32Js(src: Uint16Array, dst: Uint32Array): void {
  const table = f16ToF32Table();
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i] as number] as number;
}

/** Bulk float32 bits → float16 (same length). @internal */
export function f32ToF16Js(src: Uint32Array, dst: Uint16Array): void {
  for (let i = 0; i < src.length; i++) {
    const bits = src[i] as number;
    const x = bits & 0x7fffffff;
    // the common case inline: normal numbers
    dst[i] =
      x >= 0x38800000 && x < 0x477ff000
        ? ((bits >>> 16) & 0x8000) | ((x - 0x38000000 + 0xfff + ((x >>> 13) & 1)) >>> 13)
        : f32BitsToF16Bits(bits);
  }
}

/** Bulk bfloat16 → float32 bits (same length). @internal */
export function bf16ToF32Js(src: Uint16Array, dst: Uint32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = (src[i] as number) << 16;
}

/** Bulk float32 bits → bfloat16 (same length). @internal */
export function f32ToBf16Js(src: Uint32Array, dst: Uint16Array): void {
  for (let i = 0; i < src.length; i++) {
    const bits = src[i] as number;
    dst[i] = (bits & 0x7fffffff) > 0x7f800000 ? 0xffff : (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
  }
}
