import { DTYPES, type Dtype } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { minifloatTable } from './minifloat.js';

/** A dtype and its raw little-endian bytes: what {@link toFloat32} and `toTypedArray` convert. */
export interface TensorBytes {
  /** Element type of `data`. */
  readonly dtype: Dtype;
  /** Raw little-endian bytes, C order; sub-byte dtypes packed (see the README). */
  readonly data: Uint8Array;
}

/**
 * Number of elements held by `byteLength` bytes of `dtype` (sub-byte dtypes are packed).
 *
 * @param dtype - element type
 * @param byteLength - size in bytes
 * @returns the element count
 * @throws {SafetensorsError} MISALIGNED_SLICE when the bytes do not hold a whole number of elements
 */
export function elementCountOf(dtype: Dtype, byteLength: number): number {
  const bits = DTYPES[dtype].bits;
  if ((byteLength * 8) % bits !== 0) {
    throw new SafetensorsError(
      'MISALIGNED_SLICE',
      `${byteLength} bytes do not hold a whole number of ${bits}-bit ${dtype} elements`,
    );
  }
  return (byteLength * 8) / bits;
}

/**
 * Decodes a tensor's bytes to float32, exactly wherever float32 can hold the value: F16, BF16, every F8,
 * F6 and F4 variant (NaN/Inf as their formats define), integers (I64/U64 rounded to nearest even, as a
 * C cast does), BOOL as 0/1, F64 rounded to nearest even. The result never shares memory with `data`.
 *
 * Sub-byte packing: F4 holds element 2k in the low nibble of byte k and 2k+1 in the high nibble (PyTorch's
 * `float4_e2m1fn_x2`); F6 elements are a little-endian bit stream (element i in bits 6i..6i+5, bit 0 the
 * lowest bit of byte 0).
 *
 * @param tensor - `dtype` and raw `data`
 * @returns a new Float32Array with one value per element
 * @throws {SafetensorsError} UNSUPPORTED_DTYPE for C64 (complex); MISALIGNED_SLICE for a partial element
 * @example
 * ```ts
 * toFloat32({ dtype: 'BF16', data: new Uint8Array([0x80, 0x3f]) }); // Float32Array [1]
 * ```
 */
export function toFloat32(tensor: TensorBytes): Float32Array {
  return decodeFloat32(tensor.dtype, tensor.data, false);
}

/** {@link toFloat32}, allowed to return a view of `data` when `ownsData` (a fresh F32 buffer). @internal */
export function decodeFloat32(dtype: Dtype, data: Uint8Array, ownsData: boolean): Float32Array {
  const count = elementCountOf(dtype, data.length);
  switch (dtype) {
    case 'F32': {
      const aligned = ownsData && data.byteOffset % 4 === 0 ? data : data.slice();
      return new Float32Array(aligned.buffer, aligned.byteOffset, count);
    }
    case 'BF16': {
      const src = view(Uint16Array, data, count);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = (src[i] as number) << 16;
      return out;
    }
    case 'BOOL': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = data[i] === 0 ? 0 : 1;
      return out;
    }
    case 'U8':
      return new Float32Array(data);
    case 'I8':
      return new Float32Array(new Int8Array(data.buffer, data.byteOffset, count));
    case 'I16':
      return new Float32Array(view(Int16Array, data, count));
    case 'U16':
      return new Float32Array(view(Uint16Array, data, count));
    case 'I32':
      return new Float32Array(view(Int32Array, data, count));
    case 'U32':
      return new Float32Array(view(Uint32Array, data, count));
    case 'F64':
      return new Float32Array(view(Float64Array, data, count));
    case 'I64':
    case 'U64':
      return int64ToFloat32(view(Uint32Array, data, count * 2), count, dtype === 'I64');
    case 'C64':
      throw new SafetensorsError(
        'UNSUPPORTED_DTYPE',
        'C64 is complex (two float32 parts per element) and has no single float32 value; use read() and ' +
          'view the bytes as a Float32Array of interleaved (real, imaginary) pairs',
      );
    default:
      return decodeMinifloat(dtype, data, count);
  }
}

function decodeMinifloat(dtype: Dtype, data: Uint8Array, count: number): Float32Array {
  const table = minifloatTable(dtype);
  if (table === undefined)
    throw new SafetensorsError('UNSUPPORTED_DTYPE', `no float32 decoding for ${dtype}`);
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  if (dtype === 'F16') {
    const src = view(Uint16Array, data, count);
    for (let i = 0; i < count; i++) bits[i] = table[src[i] as number] as number;
  } else if (dtype === 'F4') {
    for (let i = 0; i < count; i++) {
      const byte = data[i >> 1] as number;
      bits[i] = table[(i & 1) === 0 ? byte & 0x0f : byte >> 4] as number;
    }
  } else if (dtype === 'F6_E2M3' || dtype === 'F6_E3M2') {
    for (let i = 0; i < count; i++) {
      const bit = i * 6;
      const at = bit >> 3;
      const pair = (data[at] as number) | ((data[at + 1] ?? 0) << 8);
      bits[i] = table[(pair >> (bit & 7)) & 0x3f] as number;
    }
  } else {
    for (let i = 0; i < count; i++) bits[i] = table[data[i] as number] as number;
  }
  return out;
}

const TWO_32 = 4294967296;

/** 64-bit integers (as little-endian u32 pairs) to float32 with one correct rounding. */
function int64ToFloat32(words: Uint32Array, count: number, signed: boolean): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const low = words[2 * i] as number;
    const high = words[2 * i + 1] as number;
    const hi = signed ? high | 0 : high;
    // Below 2^53 in magnitude the double is exact, so storing it rounds once, correctly.
    if (hi < 0x200000 && hi >= -0x200000) out[i] = hi * TWO_32 + low;
    else out[i] = roundBigToFloat32((BigInt(hi) << 32n) | BigInt(low));
  }
  return out;
}

/** Rounds an integer of up to 64 bits to the nearest float32, ties to even (a double detour could round twice). */
function roundBigToFloat32(value: bigint): number {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const shift = magnitude.toString(2).length - 24;
  let q = magnitude >> BigInt(shift);
  const rest = magnitude & ((1n << BigInt(shift)) - 1n);
  const half = 1n << BigInt(shift - 1);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  const result = Number(q) * 2 ** shift;
  return negative ? -result : result;
}

type ArrayCtor<T> = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T;

/** A typed view of `data`, copying first when `data.byteOffset` is not a multiple of the element size. */
function view<T>(ctor: ArrayCtor<T> & { BYTES_PER_ELEMENT: number }, data: Uint8Array, length: number): T {
  const aligned = data.byteOffset % ctor.BYTES_PER_ELEMENT === 0 ? data : data.slice();
  return new ctor(aligned.buffer, aligned.byteOffset, length);
}
