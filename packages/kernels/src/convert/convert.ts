import type { KernelOptions } from '../backend/backend.js';
import { selectBackend } from '../backend/select-backend.js';
import { checkBuffer, describe, type FloatArray, type FloatBuffer, type FloatDtype } from '../dtype.js';
import { KernelError } from '../errors.js';
import {
  f8e4m3fnBitsToF32Bits,
  f8e5m2BitsToF32Bits,
  f32BitsToF8e4m3fnBits,
  f32BitsToF8e5m2Bits,
} from './fp8.js';

/** Options of the bulk converters: the backend, and an output array to fill instead of allocating one. */
export interface ConvertOptions<TOut> extends KernelOptions {
  /** Where to write the result (same length as the input); a new array when omitted. */
  out?: TOut;
}

/** A typed-array constructor. */
interface ArrayCtor<T> {
  new (length: number): T;
  readonly name: string;
}

function output<T extends { length: number }>(
  what: string,
  length: number,
  out: T | undefined,
  ctor: ArrayCtor<T>,
): T {
  if (out === undefined) return new ctor(length);
  if (!(out instanceof ctor)) {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `${what}: options.out must be a ${ctor.name}; got ${describe(out)}`,
    );
  }
  if (out.length !== length) {
    throw new KernelError(
      'SHAPE_MISMATCH',
      `${what}: options.out has ${out.length} values; expected ${length}`,
    );
  }
  return out;
}

function input<T>(what: string, src: unknown, ctor: ArrayCtor<T>): void {
  if (!(src instanceof ctor)) {
    throw new KernelError('INVALID_ARGUMENT', `${what}: input must be a ${ctor.name}; got ${describe(src)}`);
  }
}

function halfToF32(
  what: string,
  src: Uint16Array,
  dtype: 'f16' | 'bf16',
  options: ConvertOptions<Float32Array>,
): Float32Array {
  input(what, src, Uint16Array);
  const out = output(what, src.length, options.out, Float32Array);
  selectBackend(options.backend).toF32(src, dtype, out);
  return out;
}

function f32ToHalf(
  what: string,
  src: Float32Array,
  dtype: 'f16' | 'bf16',
  options: ConvertOptions<Uint16Array>,
): Uint16Array {
  input(what, src, Float32Array);
  const out = output(what, src.length, options.out, Uint16Array);
  selectBackend(options.backend).fromF32(src, dtype, out);
  return out;
}

/**
 * float16 bits → float32, exact (PyTorch's `.float()`; NaN payloads kept, quieted).
 *
 * @param src - float16 bit patterns
 * @param options - `backend`, `out`
 * @returns the float32 values
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 * @example
 * ```ts
 * f16ToF32(new Uint16Array([0x3c00, 0xc000])); // Float32Array [1, -2]
 * ```
 */
export function f16ToF32(src: Uint16Array, options: ConvertOptions<Float32Array> = {}): Float32Array {
  return halfToF32('f16ToF32', src, 'f16', options);
}

/**
 * float32 → float16 bits, rounded to nearest even exactly like PyTorch's `.to(torch.float16)`: |x| ≥ 65520 →
 * ±Inf, subnormals rounded, NaN → quiet NaN keeping sign and top payload bits.
 *
 * @param src - float32 values
 * @param options - `backend`, `out`
 * @returns float16 bit patterns
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 */
export function f32ToF16(src: Float32Array, options: ConvertOptions<Uint16Array> = {}): Uint16Array {
  return f32ToHalf('f32ToF16', src, 'f16', options);
}

/**
 * bfloat16 bits → float32, exact.
 *
 * @param src - bfloat16 bit patterns
 * @param options - `backend`, `out`
 * @returns the float32 values
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 */
export function bf16ToF32(src: Uint16Array, options: ConvertOptions<Float32Array> = {}): Float32Array {
  return halfToF32('bf16ToF32', src, 'bf16', options);
}

/**
 * float32 → bfloat16 bits, rounded to nearest even exactly like PyTorch's `.to(torch.bfloat16)` on x86
 * (every NaN → `0xffff`).
 *
 * @param src - float32 values
 * @param options - `backend`, `out`
 * @returns bfloat16 bit patterns
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 */
export function f32ToBf16(src: Float32Array, options: ConvertOptions<Uint16Array> = {}): Uint16Array {
  return f32ToHalf('f32ToBf16', src, 'bf16', options);
}

function fp8ToF32(
  what: string,
  src: Uint8Array,
  out: Float32Array | undefined,
  decode: (b: number) => number,
) {
  input(what, src, Uint8Array);
  const result = output(what, src.length, out, Float32Array);
  const table = new Uint32Array(256);
  for (let b = 0; b < 256; b++) table[b] = decode(b);
  const bits = new Uint32Array(result.buffer, result.byteOffset, result.length);
  for (let i = 0; i < src.length; i++) bits[i] = table[src[i] as number] as number;
  return result;
}

function f32ToFp8(
  what: string,
  src: Float32Array,
  out: Uint8Array | undefined,
  encode: (b: number) => number,
) {
  input(what, src, Float32Array);
  const result = output(what, src.length, out, Uint8Array);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) result[i] = encode(bits[i] as number);
  return result;
}

/**
 * float8_e4m3fn bits → float32, exact (`0x7f`/`0xff` are NaN; there is no Inf).
 *
 * @param src - float8_e4m3fn bit patterns
 * @param options - `out`
 * @returns the float32 values
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 */
export function f8e4m3fnToF32(src: Uint8Array, options: { out?: Float32Array } = {}): Float32Array {
  return fp8ToF32('f8e4m3fnToF32', src, options.out, f8e4m3fnBitsToF32Bits);
}

/**
 * float32 → float8_e4m3fn bits like PyTorch 2.13: round to nearest even, saturating at ±448 (also for ±Inf),
 * NaN → `0x7f` with the sign.
 *
 * @param src - float32 values
 * @param options - `out`
 * @returns float8_e4m3fn bit patterns
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 */
export function f32ToF8e4m3fn(src: Float32Array, options: { out?: Uint8Array } = {}): Uint8Array {
  return f32ToFp8('f32ToF8e4m3fn', src, options.out, f32BitsToF8e4m3fnBits);
}

/**
 * float8_e5m2 bits → float32, exact.
 *
 * @param src - float8_e5m2 bit patterns
 * @param options - `out`
 * @returns the float32 values
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 */
export function f8e5m2ToF32(src: Uint8Array, options: { out?: Float32Array } = {}): Float32Array {
  return fp8ToF32('f8e5m2ToF32', src, options.out, f8e5m2BitsToF32Bits);
}

/**
 * float32 → float8_e5m2 bits like PyTorch: round to nearest even, overflow → ±Inf, NaN → `0x7f` with the sign.
 *
 * @param src - float32 values
 * @param options - `out`
 * @returns float8_e5m2 bit patterns
 * @throws {KernelError} `INVALID_ARGUMENT` / `SHAPE_MISMATCH` for a wrong input or `out`
 */
export function f32ToF8e5m2(src: Float32Array, options: { out?: Uint8Array } = {}): Uint8Array {
  return f32ToFp8('f32ToF8e5m2', src, options.out, f32BitsToF8e5m2Bits);
}

/**
 * Any {@link FloatBuffer} → a new float32 array (exact; a copy for `'f32'`).
 *
 * @param buffer - the values and their dtype
 * @param options - `backend`
 * @returns the float32 values
 * @throws {KernelError} `UNSUPPORTED_DTYPE` / `INVALID_ARGUMENT` for a malformed buffer
 */
export function toFloat32(buffer: FloatBuffer, options: KernelOptions = {}): Float32Array {
  checkBuffer('toFloat32', buffer);
  if (buffer.dtype === 'f32') return (buffer.data as Float32Array).slice();
  const out = new Float32Array(buffer.data.length);
  selectBackend(options.backend).toF32(buffer.data as Uint16Array, buffer.dtype, out);
  return out;
}

/**
 * float32 values → a new array of `dtype` (a copy for `'f32'`, rounded to nearest even otherwise).
 *
 * @param src - float32 values
 * @param dtype - target dtype
 * @param options - `backend`
 * @returns `Float32Array` for `'f32'`, `Uint16Array` of bits for `'f16'`/`'bf16'`
 * @throws {KernelError} `UNSUPPORTED_DTYPE` for an unknown dtype
 */
export function fromFloat32(src: Float32Array, dtype: FloatDtype, options: KernelOptions = {}): FloatArray {
  input('fromFloat32', src, Float32Array);
  if (dtype === 'f32') return src.slice();
  checkBuffer('fromFloat32', { data: new Uint16Array(0), dtype });
  const out = new Uint16Array(src.length);
  selectBackend(options.backend).fromF32(src, dtype, out);
  return out;
}
