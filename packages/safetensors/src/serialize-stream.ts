import type { Dtype } from './dtype.js';
import { SafetensorsError, show } from './errors.js';
import { layoutSafetensors } from './header-layout.js';
import {
  bytesOf,
  checkByteLength,
  entriesOf,
  type SerializeOptions,
  type TensorEntries,
} from './serialize-safetensors.js';

/** Bytes of a tensor, given all at once or as chunks in order. */
export type TensorChunks = ArrayBufferView | Iterable<ArrayBufferView> | AsyncIterable<ArrayBufferView>;

/**
 * A tensor's data: its bytes, or a function called only when the writer reaches this tensor, returning the
 * bytes, a promise of them, or an (async) iterable of chunks. Lazy data keeps at most one tensor (or one
 * chunk) in memory.
 */
export type LazyTensorData = ArrayBufferView | (() => TensorChunks | Promise<TensorChunks>);

/** A tensor to stream: dtype and shape now, data when its turn comes. */
export interface LazyTensorInput {
  /** Element type. */
  readonly dtype: Dtype;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** The bytes, or a function producing them (see {@link LazyTensorData}). */
  readonly data: LazyTensorData;
}

/** Named lazy tensors: an object, a Map, or a sync or async iterable of `[name, tensor]` pairs. */
export type LazyTensorEntries =
  | TensorEntries<LazyTensorInput>
  | AsyncIterable<readonly [string, LazyTensorInput]>;

/**
 * Streams a safetensors file as chunks: first the 8-byte length and header, then each tensor's data in file
 * order, pulling lazy data only when its turn comes, so a file of any size is produced in bounded memory.
 * Byte-identical to {@link serializeSafetensors}. A tensor whose bytes turn out to have the wrong length
 * throws mid-stream: discard what was written.
 *
 * @param tensors - named tensors whose `data` may be lazy
 * @param options - `metadata`: the `__metadata__` string map
 * @returns an async iterable of chunks (views of the caller's data where possible)
 * @throws {SafetensorsError} the codes of {@link serializeSafetensors}
 * @example
 * ```ts
 * const chunks = serializeSafetensorsStream({ w: { dtype: 'F16', shape: [4096, 4096], data: () => load() } });
 * for await (const chunk of chunks) await sink.write(chunk);
 * ```
 */
export async function* serializeSafetensorsStream(
  tensors: LazyTensorEntries,
  options?: SerializeOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const entries: [string, LazyTensorInput][] = [];
  if (typeof (tensors as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    for await (const [name, t] of tensors as AsyncIterable<readonly [string, LazyTensorInput]>) {
      entries.push([name, t]);
    }
  } else entries.push(...entriesOf(tensors as TensorEntries<LazyTensorInput>));
  const specs = entries.map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.data }));
  const layout = layoutSafetensors(specs, options?.metadata);
  // Eager data is checked before the first byte goes out, so bad input fails before any write.
  for (const { tensor, byteLength } of layout.placed) {
    if (typeof tensor.data !== 'function')
      checkByteLength(tensor.name, bytesOf(tensor.data, tensor.name), byteLength);
  }
  yield layout.header;
  for (const { tensor, byteLength } of layout.placed) {
    const source = typeof tensor.data === 'function' ? await tensor.data() : tensor.data;
    if (ArrayBuffer.isView(source)) {
      const bytes = bytesOf(source, tensor.name);
      checkByteLength(tensor.name, bytes, byteLength);
      if (bytes.length > 0) yield bytes;
      continue;
    }
    if (!isIterable(source)) {
      throw new SafetensorsError(
        'SIZE_MISMATCH',
        `tensor ${show(tensor.name)}: data must be bytes or an iterable of byte chunks, got ${show(source)}`,
      );
    }
    let written = 0;
    for await (const chunk of source) {
      const bytes = bytesOf(chunk, tensor.name);
      written += bytes.length;
      if (written > byteLength) checkByteLength(tensor.name, written, byteLength);
      if (bytes.length > 0) yield bytes;
    }
    checkByteLength(tensor.name, written, byteLength);
  }
}

function isIterable(value: unknown): value is Iterable<ArrayBufferView> | AsyncIterable<ArrayBufferView> {
  if (typeof value !== 'object' || value === null) return false;
  return (
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function' ||
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}
