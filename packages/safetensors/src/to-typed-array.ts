import { DTYPES, type TypedArray } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { elementCountOf, type TensorBytes } from './to-float32.js';

/**
 * Views a tensor's bytes as the typed array that holds its dtype exactly (F32 → Float32Array,
 * I64 → BigInt64Array, BOOL → Uint8Array, …; see `DTYPES[dtype].array`). Returns a view of `data` when
 * its offset is aligned to the element size, and an aligned copy otherwise.
 *
 * @param tensor - `dtype` and raw `data`
 * @returns a typed array with one element per tensor element
 * @throws {SafetensorsError} UNSUPPORTED_DTYPE for dtypes without such an array (F16, BF16, F8/F6/F4, C64:
 *   use `toFloat32`); SIZE_MISMATCH when the bytes do not hold whole elements
 * @example
 * ```ts
 * const ids = toTypedArray(await file.read('input_ids')); // BigInt64Array
 * ```
 */
export function toTypedArray(tensor: TensorBytes): TypedArray {
  const ctor = DTYPES[tensor.dtype].array;
  if (ctor === undefined) {
    throw new SafetensorsError(
      'UNSUPPORTED_DTYPE',
      `${tensor.dtype} has no exact JavaScript typed array; convert it with toFloat32()`,
    );
  }
  const { data } = tensor;
  if (data.length % ctor.BYTES_PER_ELEMENT !== 0) {
    throw new SafetensorsError(
      'SIZE_MISMATCH',
      `${data.length} bytes are not a whole number of ${ctor.BYTES_PER_ELEMENT}-byte ${tensor.dtype} elements`,
    );
  }
  const count = elementCountOf(tensor.dtype, data.length);
  const aligned = data.byteOffset % ctor.BYTES_PER_ELEMENT === 0 ? data : data.slice();
  return new ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, count);
}
