import type { Dtype } from './dtype.js';
import { SafetensorsError, show } from './errors.js';
import { layoutSafetensors } from './header-layout.js';

/** A tensor to write: dtype, shape and its raw little-endian bytes (any typed array or DataView). */
export interface TensorInput {
  /** Element type. */
  readonly dtype: Dtype;
  /** Dimensions, outermost first; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Raw bytes, C order; its byte length must be dtype × shape. */
  readonly data: ArrayBufferView;
}

/** Named tensors: a plain object, a Map, or an iterable of `[name, tensor]` pairs. */
export type TensorEntries<T> =
  | Readonly<Record<string, T>>
  | ReadonlyMap<string, T>
  | Iterable<readonly [string, T]>;

/** Options of the serializers. */
export interface SerializeOptions {
  /** `__metadata__`: a string → string map, written first; omitted from the header when undefined. */
  metadata?: Readonly<Record<string, string>> | undefined;
}

/**
 * Serializes tensors to safetensors bytes laid out exactly as Python's `safetensors` writes them (tensors by
 * descending dtype then name, `__metadata__` first, header padded with spaces to a multiple of 8), so
 * Python and PEFT read them back.
 *
 * @param tensors - named tensors (object, Map or iterable of pairs)
 * @param metadata - optional `__metadata__` string map (e.g. `{ format: 'pt' }`)
 * @returns the file's bytes
 * @throws {SafetensorsError} INVALID_DTYPE, INVALID_SHAPE, SIZE_MISMATCH, MISALIGNED_SLICE, DUPLICATE_NAME,
 *   INVALID_METADATA, INVALID_UTF8, INVALID_HEADER, OVERFLOW or HEADER_TOO_LARGE
 * @example
 * ```ts
 * const bytes = serializeSafetensors(
 *   { w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } },
 *   { format: 'pt' },
 * );
 * ```
 */
export function serializeSafetensors(
  tensors: TensorEntries<TensorInput>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const specs = entriesOf(tensors).map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: t.shape,
    data: t.data,
  }));
  const layout = layoutSafetensors(specs, metadata);
  for (const { tensor, byteLength } of layout.placed)
    checkByteLength(tensor.name, bytesOf(tensor.data, tensor.name), byteLength);
  const out = new Uint8Array(layout.totalSize);
  out.set(layout.header, 0);
  let at = layout.header.length;
  for (const { tensor, byteLength } of layout.placed) {
    out.set(bytesOf(tensor.data, tensor.name), at);
    at += byteLength;
  }
  return out;
}

/** The `[name, value]` pairs of any {@link TensorEntries}. @internal */
export function entriesOf<T>(tensors: TensorEntries<T>): [string, T][] {
  if (tensors instanceof Map) return [...tensors.entries()];
  if (typeof (tensors as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...(tensors as Iterable<readonly [string, T]>)].map(([k, v]) => [k, v]);
  }
  return Object.entries(tensors as Record<string, T>);
}

/** A view's bytes, without copying; `name` is the tensor's, for the error. @internal */
export function bytesOf(data: unknown, name: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new SafetensorsError(
    'SIZE_MISMATCH',
    `tensor ${show(name)}: data must be a typed array or DataView, got ${show(data)}`,
  );
}

/** Throws SIZE_MISMATCH unless `bytes` has the length dtype × shape requires. @internal */
export function checkByteLength(name: string, bytes: Uint8Array | number, expected: number): void {
  const length = typeof bytes === 'number' ? bytes : bytes.length;
  if (length !== expected) {
    throw new SafetensorsError(
      'SIZE_MISMATCH',
      `tensor ${show(name)}: dtype × shape needs ${expected} bytes, but its data has ${length}`,
    );
  }
}
