import {
  DTYPES,
  type Dtype,
  elementCountOf,
  type SafetensorsReader,
  type TensorInput,
  toFloat32,
} from '@peftjs/safetensors';
import { AdapterError, wrapError } from './errors.js';

/**
 * One tensor of an adapter, as saved (`adapter_model.safetensors` / `.bin` key, dtype, shape), read lazily:
 * values are decoded to float32 only when asked for (PEFT up-casts adapter weights to float32 as well).
 */
export interface AdapterTensor {
  /** The key in the adapter file (e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`). */
  readonly name: string;
  /** safetensors dtype name (`F32`, `F16`, `BF16`, …). */
  readonly dtype: Dtype;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Size in the file, in bytes. */
  readonly byteLength: number;
  /** The values as a new float32 array (exact for F32 / F16 / BF16). */
  float32(): Promise<Float32Array>;
}

/** Number of elements of a shape (1 for a scalar). @internal */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * An {@link AdapterTensor} read from an open safetensors file when asked for.
 *
 * @param reader - the open file
 * @param name - the tensor's key
 * @returns the lazy tensor
 * @throws {AdapterError} `BAD_ADAPTER` when the tensor is not a floating-point one
 */
export function safetensorsTensor(reader: SafetensorsReader, name: string): AdapterTensor {
  const info = reader.info(name);
  checkFloat(name, info.dtype);
  return {
    name,
    dtype: info.dtype,
    shape: info.shape,
    byteLength: info.byteLength,
    async float32() {
      try {
        return await reader.readFloat32(name);
      } catch (error) {
        throw wrapError(error, 'INVALID_FILE', `reading adapter tensor ${name} failed`);
      }
    },
  };
}

/**
 * An {@link AdapterTensor} over bytes already in memory (a `.bin` checkpoint's tensors, a combined adapter).
 *
 * @param name - the key
 * @param tensor - `dtype`, `shape` and raw little-endian `data` (any typed array)
 * @returns the tensor
 * @throws {AdapterError} `BAD_ADAPTER` for a non-float dtype or a byte length that does not match the shape
 */
export function memoryTensor(name: string, tensor: TensorInput): AdapterTensor {
  checkFloat(name, tensor.dtype);
  const { data } = tensor;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const count = numel(tensor.shape);
  let elements: number;
  try {
    elements = elementCountOf(tensor.dtype, bytes.length);
  } catch (error) {
    throw wrapError(error, 'BAD_ADAPTER', `adapter tensor ${name}`);
  }
  if (elements !== count) {
    throw new AdapterError(
      'BAD_ADAPTER',
      `adapter tensor ${name}: ${bytes.length} bytes of ${tensor.dtype} hold ${elements} values, but its shape ` +
        `[${tensor.shape.join(', ')}] needs ${count}`,
    );
  }
  return {
    name,
    dtype: tensor.dtype,
    shape: [...tensor.shape],
    byteLength: bytes.length,
    async float32() {
      if (data instanceof Float32Array) return data.slice();
      return toFloat32({ dtype: tensor.dtype, data: bytes });
    },
  };
}

/**
 * A float32 {@link AdapterTensor} whose values are computed when asked for (e.g. AdaLoRA's A ⊙ E).
 *
 * @param name - a descriptive key
 * @param shape - its shape
 * @param compute - produces the values
 * @returns the tensor
 */
export function derivedTensor(
  name: string,
  shape: readonly number[],
  compute: () => Promise<Float32Array>,
): AdapterTensor {
  return { name, dtype: 'F32', shape: [...shape], byteLength: numel(shape) * 4, float32: compute };
}

function checkFloat(name: string, dtype: Dtype): void {
  if (DTYPES[dtype]?.kind !== 'float') {
    throw new AdapterError(
      'BAD_ADAPTER',
      `adapter tensor ${name} has dtype ${dtype}; PEFT saves float tensors`,
    );
  }
}
