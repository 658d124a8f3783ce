import type { TorchTensor } from './read-torch-checkpoint.js';
import { TorchLoadError } from './torch-error.js';

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The values of a floating-point tensor as a new Float32Array (F16 and BF16 widened exactly, F64 rounded to
 * nearest float32).
 *
 * @param tensor - a tensor from {@link readTorchCheckpoint}
 * @returns one float32 per element, row-major
 * @throws {@link TorchLoadError} UNSUPPORTED_DTYPE for integer and bool tensors
 * @example torchTensorToFloat32(readTorchCheckpoint(bytes).get('w')!)
 */
export function torchTensorToFloat32(tensor: TorchTensor): Float32Array {
  const { data, dtype } = tensor;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(data.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(data.length / 8);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(data.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const bits = new Uint32Array(data.length / 2);
      for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return new Float32Array(bits.buffer);
    }
    default:
      throw new TorchLoadError('UNSUPPORTED_DTYPE', `tensor of dtype ${dtype} is not floating-point`);
  }
}
