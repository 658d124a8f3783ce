// Float conversions for the WebAssembly kernels (AssemblyScript). Same results, bit for bit, as the TypeScript
// versions in src/convert/half.ts; see there for the rules (PyTorch's `.to(dtype)` on x86).

/** dtype codes shared with src/wasm/wasm-backend.ts: 0 = f32, 1 = f16, 2 = bf16. */
export const DT_F32: i32 = 0;
export const DT_F16: i32 = 1;
export const DT_BF16: i32 = 2;

/** log2 of the element size of a dtype code. */
export function dtShift(dt: i32): i32 {
  return dt === DT_F32 ? 2 : 1;
}

// ---- scalar -------------------------------------------------------------------------------------------------

export function f16ToF32Bits(h: u32): u32 {
  const sign = (h & 0x8000) << 16;
  const em = h & 0x7fff;
  if (em >= 0x7c00) {
    const mant = em & 0x3ff;
    return sign | 0x7f800000 | (mant << 13) | (mant !== 0 ? 0x400000 : 0);
  }
  // exact: a power-of-two rescaling of the shifted bits (subnormal halves become normal floats)
  return sign | reinterpret<u32>(reinterpret<f32>(em << 13) * reinterpret<f32>(0x77800000));
}

export function f32ToF16Bits(bits: u32): u32 {
  const sign = (bits >>> 16) & 0x8000;
  const x = bits & 0x7fffffff;
  if (x > 0x7f800000) return sign | 0x7e00 | ((x >>> 13) & 0x3ff);
  if (x >= 0x477ff000) return sign | 0x7c00;
  if (x >= 0x38800000) return sign | ((x - 0x38000000 + 0xfff + ((x >>> 13) & 1)) >>> 13);
  // subnormal or zero: one f32 addition rounds |x| to a multiple of 2^-24, ties to even
  return sign | (reinterpret<u32>(reinterpret<f32>(x) + <f32>0.5) - 0x3f000000);
}

export function f32ToBf16Bits(bits: u32): u32 {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0xffff;
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** Rounds an f32 to dtype `dt` and back (a no-op for f32). */
export function roundScalar(v: f32, dt: i32): f32 {
  if (dt === DT_F16) return reinterpret<f32>(f16ToF32Bits(f32ToF16Bits(reinterpret<u32>(v))));
  if (dt === DT_BF16) return reinterpret<f32>(f32ToBf16Bits(reinterpret<u32>(v)) << 16);
  return v;
}

// ---- 4 lanes (i32x4 holding 16-bit patterns, or f32x4) ------------------------------------------------------

export function f16x4ToF32x4(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const em = v128.and(h, i32x4.splat(0x7fff));
  const finite = f32x4.mul(i32x4.shl(em, 13), i32x4.splat(0x77800000));
  const mant = v128.and(em, i32x4.splat(0x3ff));
  const quiet = v128.andnot(i32x4.splat(0x400000), i32x4.eq(mant, i32x4.splat(0)));
  const special = v128.or(v128.or(i32x4.splat(0x7f800000), i32x4.shl(mant, 13)), quiet);
  return v128.or(sign, v128.bitselect(special, finite, i32x4.ge_u(em, i32x4.splat(0x7c00))));
}

export function f32x4ToF16x4(bits: v128): v128 {
  const sign = v128.and(i32x4.shr_u(bits, 16), i32x4.splat(0x8000));
  const x = v128.and(bits, i32x4.splat(0x7fffffff));
  const lsb = v128.and(i32x4.shr_u(x, 13), i32x4.splat(1));
  // x - 0x38000000 + 0xfff, wrapping
  const normal = i32x4.shr_u(i32x4.add(i32x4.add(x, i32x4.splat(-939520001)), lsb), 13);
  const sub = i32x4.sub(f32x4.add(x, f32x4.splat(0.5)), i32x4.splat(0x3f000000));
  const nan = v128.or(i32x4.splat(0x7e00), v128.and(i32x4.shr_u(x, 13), i32x4.splat(0x3ff)));
  let r = v128.bitselect(normal, sub, i32x4.ge_u(x, i32x4.splat(0x38800000)));
  r = v128.bitselect(i32x4.splat(0x7c00), r, i32x4.ge_u(x, i32x4.splat(0x477ff000)));
  r = v128.bitselect(nan, r, i32x4.gt_u(x, i32x4.splat(0x7f800000)));
  return v128.or(r, sign);
}

export function f32x4ToBf16x4(bits: v128): v128 {
  const lsb = v128.and(i32x4.shr_u(bits, 16), i32x4.splat(1));
  const rounded = i32x4.shr_u(i32x4.add(i32x4.add(bits, i32x4.splat(0x7fff)), lsb), 16);
  const isNan = i32x4.gt_u(v128.and(bits, i32x4.splat(0x7fffffff)), i32x4.splat(0x7f800000));
  return v128.bitselect(i32x4.splat(0xffff), rounded, isNan);
}

/** Rounds f32x4 lanes to dtype `dt` and back (a no-op for f32). */
export function roundVector(v: v128, dt: i32): v128 {
  if (dt === DT_F16) return f16x4ToF32x4(f32x4ToF16x4(v));
  if (dt === DT_BF16) return i32x4.shl(f32x4ToBf16x4(v), 16);
  return v;
}

// ---- whole rows ---------------------------------------------------------------------------------------------

/** Converts `n` values of dtype `dt` at `src` to f32 at `dst`. */
export function toF32(src: usize, dt: i32, dst: usize, n: i32): void {
  if (dt === DT_F32) {
    memory.copy(dst, src, (<usize>n) << 2);
    return;
  }
  let i = 0;
  const n8 = n & ~7;
  if (dt === DT_F16) {
    for (; i < n8; i += 8) {
      const h = v128.load(src + ((<usize>i) << 1));
      const out = dst + ((<usize>i) << 2);
      v128.store(out, f16x4ToF32x4(i32x4.extend_low_i16x8_u(h)));
      v128.store(out, f16x4ToF32x4(i32x4.extend_high_i16x8_u(h)), 16);
    }
    for (; i < n; i++) {
      store<u32>(dst + ((<usize>i) << 2), f16ToF32Bits(<u32>load<u16>(src + ((<usize>i) << 1))));
    }
  } else {
    for (; i < n8; i += 8) {
      const h = v128.load(src + ((<usize>i) << 1));
      const out = dst + ((<usize>i) << 2);
      v128.store(out, i32x4.shl(i32x4.extend_low_i16x8_u(h), 16));
      v128.store(out, i32x4.shl(i32x4.extend_high_i16x8_u(h), 16), 16);
    }
    for (; i < n; i++) {
      store<u32>(dst + ((<usize>i) << 2), (<u32>load<u16>(src + ((<usize>i) << 1))) << 16);
    }
  }
}

/** Converts `n` f32 values at `src` to dtype `dt` at `dst`. */
export function fromF32(src: usize, dt: i32, dst: usize, n: i32): void {
  if (dt === DT_F32) {
    memory.copy(dst, src, (<usize>n) << 2);
    return;
  }
  let i = 0;
  const n8 = n & ~7;
  const half = dt === DT_F16;
  for (; i < n8; i += 8) {
    const inp = src + ((<usize>i) << 2);
    const a = v128.load(inp);
    const b = v128.load(inp, 16);
    const ra = half ? f32x4ToF16x4(a) : f32x4ToBf16x4(a);
    const rb = half ? f32x4ToF16x4(b) : f32x4ToBf16x4(b);
    v128.store(dst + ((<usize>i) << 1), i16x8.narrow_i32x4_u(ra, rb));
  }
  for (; i < n; i++) {
    const bits = load<u32>(src + ((<usize>i) << 2));
    store<u16>(dst + ((<usize>i) << 1), <u16>(half ? f32ToF16Bits(bits) : f32ToBf16Bits(bits)));
  }
}
