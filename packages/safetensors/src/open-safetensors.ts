import { type ByteSource, type SafetensorsInput, sharesMemory, toByteSource } from './byte-source.js';
import type { Dtype } from './dtype.js';
import { isSafetensorsError, SafetensorsError, show } from './errors.js';
import {
  HEADER_PREFIX_BYTES,
  parseHeaderBytes,
  readHeaderLength,
  type SafetensorsHeader,
  type TensorInfo,
} from './parse-header.js';
import { decodeFloat32 } from './to-float32.js';

/** One tensor read from a file: its raw little-endian bytes with dtype and shape. */
export interface Tensor {
  /** The tensor's name. */
  readonly name: string;
  /** Element type. */
  readonly dtype: Dtype;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Raw bytes (a view of the input for in-memory sources, else a buffer of its own). */
  readonly data: Uint8Array;
}

/** A safetensors file opened for random access: the header is parsed, tensors are read on demand. */
export interface SafetensorsReader {
  /** The validated header. */
  readonly header: SafetensorsHeader;
  /** `__metadata__`, or undefined when the file has none. */
  readonly metadata: Readonly<Record<string, string>> | undefined;
  /** Where the bytes come from. */
  readonly source: ByteSource;
  /** Tensor names in data order. */
  tensorNames(): string[];
  /** Whether a tensor of that name exists. */
  has(name: string): boolean;
  /** Dtype, shape and offsets of a tensor; throws `TENSOR_NOT_FOUND` for an unknown name. */
  info(name: string): TensorInfo;
  /** Reads one tensor's bytes (only those bytes); throws `TENSOR_NOT_FOUND` for an unknown name. */
  read(name: string): Promise<Tensor>;
  /** Reads one tensor and decodes it to float32 (see `toFloat32`). */
  readFloat32(name: string): Promise<Float32Array>;
  /** Closes the source (a file); later reads throw `IO_ERROR`. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a safetensors file held in memory, in a Blob, or behind any {@link ByteSource}: reads and validates
 * the header (8 + N bytes), then reads each tensor only when asked.
 *
 * @param input - a Uint8Array, ArrayBuffer, Blob/File, or ByteSource
 * @returns a reader; call `close()` when the source is a file
 * @throws {SafetensorsError} any header validation code; IO_ERROR when the source fails
 * @example
 * ```ts
 * const file = await openSafetensors(blob);
 * const weights = await file.readFloat32('lora_A.weight');
 * ```
 */
export async function openSafetensors(input: SafetensorsInput): Promise<SafetensorsReader> {
  const source = toByteSource(input);
  const size = source.size;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new SafetensorsError('IO_ERROR', `the source reports an invalid size ${show(size)}`);
  }
  const prefix =
    size < HEADER_PREFIX_BYTES ? new Uint8Array(0) : await readFrom(source, 0, HEADER_PREFIX_BYTES);
  const n = readHeaderLength(prefix, size);
  const header = parseHeaderBytes(await readFrom(source, HEADER_PREFIX_BYTES, n), size);
  return new Reader(source, header);
}

/** Everything in a safetensors file, read at once. */
export interface SafetensorsContents {
  /** The validated header. */
  readonly header: SafetensorsHeader;
  /** `__metadata__`, or undefined when the file has none. */
  readonly metadata: Readonly<Record<string, string>> | undefined;
  /** Every tensor by name, in data order. */
  readonly tensors: Map<string, Tensor>;
}

/**
 * Reads a whole safetensors file: the header, then the data section in one read, split into tensors
 * (views of one buffer; for a Uint8Array input, views of the input).
 *
 * @param input - a Uint8Array, ArrayBuffer, Blob/File, or ByteSource
 * @returns header, metadata and every tensor
 * @throws {SafetensorsError} any header validation code; IO_ERROR when the source fails
 * @example
 * ```ts
 * const { tensors } = await readSafetensors(bytes);
 * ```
 */
export async function readSafetensors(input: SafetensorsInput): Promise<SafetensorsContents> {
  const reader = await openSafetensors(input);
  return readAllTensors(reader);
}

/** Reads the data section of an open reader in one read and splits it. @internal */
export async function readAllTensors(reader: SafetensorsReader): Promise<SafetensorsContents> {
  const { header } = reader;
  const data = await readFrom(reader.source, header.dataOffset, header.dataByteLength);
  const tensors = new Map<string, Tensor>();
  for (const t of header.tensors) {
    const [begin, end] = t.dataOffsets;
    tensors.set(t.name, { name: t.name, dtype: t.dtype, shape: t.shape, data: data.subarray(begin, end) });
  }
  return { header, metadata: header.metadata, tensors };
}

class Reader implements SafetensorsReader {
  readonly metadata: Readonly<Record<string, string>> | undefined;
  private readonly byName: Map<string, TensorInfo>;
  private closed = false;

  constructor(
    readonly source: ByteSource,
    readonly header: SafetensorsHeader,
  ) {
    this.metadata = header.metadata;
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  tensorNames(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.byName.get(name);
    if (info === undefined) {
      const some = this.header.tensors.slice(0, 5).map((t) => show(t.name));
      throw new SafetensorsError(
        'TENSOR_NOT_FOUND',
        `no tensor named ${show(name)} among ${this.byName.size} tensors` +
          (some.length > 0 ? ` (e.g. ${some.join(', ')})` : ''),
      );
    }
    return info;
  }

  async read(name: string): Promise<Tensor> {
    const info = this.info(name);
    if (this.closed)
      throw new SafetensorsError('IO_ERROR', `cannot read ${show(name)}: the reader is closed`);
    const data = await readFrom(this.source, this.header.dataOffset + info.dataOffsets[0], info.byteLength);
    return { name: info.name, dtype: info.dtype, shape: info.shape, data };
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const tensor = await this.read(name);
    return decodeFloat32(tensor.dtype, tensor.data, !sharesMemory(this.source));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close?.();
  }
}

/** Reads through a source, turning foreign failures into IO_ERROR. @internal */
export async function readFrom(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await source.read(offset, length);
  } catch (cause) {
    if (isSafetensorsError(cause)) throw cause;
    throw new SafetensorsError('IO_ERROR', `reading ${length} bytes at offset ${offset} failed`, { cause });
  }
  if (bytes.length !== length) {
    throw new SafetensorsError(
      'IO_ERROR',
      `reading ${length} bytes at offset ${offset} returned ${bytes.length} bytes (was the file changed?)`,
    );
  }
  return bytes;
}
