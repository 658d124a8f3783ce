import type { TorchTensorRef } from './pickle-values.js';
import { TorchLoadError } from './torch-error.js';

function badTensor(message: string): never {
  throw new TorchLoadError('BAD_TENSOR', message);
}

/**
 * Element count of a shape, or a BAD_TENSOR error if it exceeds 2^53.
 * @param shape - the dimensions
 * @param what - the tensor's name, for messages
 */
export function elementCount(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n))
      badTensor(`${what}: shape [${shape.join(', ')}] has more than 2^53 elements`);
  }
  return n;
}

/**
 * Checks that every element a strided view addresses lies inside its storage, without allocating anything.
 *
 * @param tensor - the view
 * @param what - the tensor's name, for messages
 * @returns the view's element count
 * @throws {@link TorchLoadError} BAD_TENSOR if the view reaches past the storage's end
 */
export function checkTensorBounds(tensor: TorchTensorRef, what: string): number {
  const numel = elementCount(tensor.size, what);
  if (numel === 0) return 0;
  let last = tensor.offset;
  tensor.size.forEach((d, i) => {
    last += (d - 1) * (tensor.stride[i] as number);
  });
  if (!Number.isSafeInteger(last) || last >= tensor.storage.numel) {
    badTensor(
      `${what}: offset ${tensor.offset}, size [${tensor.size.join(', ')}], stride [${tensor.stride.join(', ')}] ` +
        `reaches element ${last} of storage '${tensor.storage.key}', which has ${tensor.storage.numel} elements`,
    );
  }
  return numel;
}

/**
 * Copies a strided view of a storage into fresh contiguous (row-major) bytes; big-endian elements are swapped to
 * little-endian. Call {@link checkTensorBounds} first.
 *
 * @param storage - the storage's bytes
 * @param itemSize - bytes per element
 * @param tensor - the view (bounds already checked)
 * @param numel - its element count
 * @param bigEndian - true if the archive's byteorder record says `big`
 * @returns `numel * itemSize` new bytes
 */
export function gatherTensorBytes(
  storage: Uint8Array,
  itemSize: number,
  tensor: TorchTensorRef,
  numel: number,
  bigEndian: boolean,
): Uint8Array {
  const out = new Uint8Array(numel * itemSize);
  if (numel === 0) return out;
  const { size, stride, offset } = tensor;
  const ndim = size.length;
  let contiguous = true;
  let expected = 1;
  for (let i = ndim - 1; i >= 0; i--) {
    const d = size[i] as number;
    if (d !== 1 && stride[i] !== expected) contiguous = false;
    expected *= d;
  }
  if (contiguous) {
    out.set(storage.subarray(offset * itemSize, (offset + numel) * itemSize));
  } else {
    const inner = ndim === 0 ? 1 : (size[ndim - 1] as number);
    const innerStride = ndim === 0 ? 0 : (stride[ndim - 1] as number);
    const index = new Array<number>(Math.max(ndim - 1, 0)).fill(0);
    let base = offset;
    let o = 0;
    for (let row = 0, rows = numel / inner; row < rows; row++) {
      if (innerStride === 1) {
        out.set(storage.subarray(base * itemSize, (base + inner) * itemSize), o);
        o += inner * itemSize;
      } else {
        for (let j = 0; j < inner; j++) {
          const from = (base + j * innerStride) * itemSize;
          out.set(storage.subarray(from, from + itemSize), o);
          o += itemSize;
        }
      }
      for (let k = ndim - 2; k >= 0; k--) {
        const next = (index[k] as number) + 1;
        base += stride[k] as number;
        if (next < (size[k] as number)) {
          index[k] = next;
          break;
        }
        base -= next * (stride[k] as number);
        index[k] = 0;
      }
    }
  }
  if (bigEndian && itemSize > 1) {
    for (let e = 0; e < out.length; e += itemSize) {
      for (let a = e, b = e + itemSize - 1; a < b; a++, b--) {
        const t = out[a] as number;
        out[a] = out[b] as number;
        out[b] = t;
      }
    }
  }
  return out;
}
