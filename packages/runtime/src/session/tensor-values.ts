import { bf16ToF32, f16ToF32 } from '@peftjs/kernels';
import { AdapterError } from '../errors.js';
import type { BackendTensor } from './backend.js';

/**
 * A tensor's values as float32, whatever its numeric type (float16 bits are decoded exactly; int64 values beyond
 * 2^24 lose precision as float32 always does).
 *
 * @param tensor - a run's output (or any backend tensor)
 * @returns a new array (float32 tensors: a copy)
 * @throws {AdapterError} `INVALID_ARGUMENT` for string tensors
 * @example
 * ```ts
 * const { logits } = await session.run(feeds);
 * const values = tensorToFloat32(logits);
 * ```
 */
export function tensorToFloat32(tensor: BackendTensor): Float32Array {
  const { data, type } = tensor;
  if (type === 'float16' && data instanceof Uint16Array) return f16ToF32(data);
  if (type === 'bfloat16' && data instanceof Uint16Array) return bf16ToF32(data);
  if (data instanceof Float32Array) return data.slice();
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return Float32Array.from(data, (v) => Number(v));
  }
  if (ArrayBuffer.isView(data)) return Float32Array.from(data as ArrayLike<number>);
  throw new AdapterError('INVALID_ARGUMENT', `a ${type} tensor has no numeric values to convert to float32`);
}
