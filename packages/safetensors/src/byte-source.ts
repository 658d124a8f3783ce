import { SafetensorsError } from './errors.js';

/**
 * Random access to bytes: what the reader needs from a file, a Blob or a buffer. Implement it to read from
 * anything else (an HTTP range reader, a cache).
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Reads exactly `length` bytes at `offset` (0 ≤ offset, offset + length ≤ size).
   * The result may share memory with the source (the in-memory source returns a view).
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the source (closes a file). Optional. */
  close?(): Promise<void>;
}

/** Anything {@link openSafetensors} reads from. */
export type SafetensorsInput = ByteSource | Uint8Array | ArrayBuffer | Blob;

/** Marks sources whose reads return views of memory the caller also holds. @internal */
export const SHARES_MEMORY: unique symbol = Symbol('peftjs.safetensors.sharesMemory');

/**
 * A {@link ByteSource} over bytes in memory; reads return views (no copy).
 *
 * @param bytes - the whole file
 * @returns a source whose reads are `bytes.subarray(...)`
 * @example
 * ```ts
 * const source = bytesSource(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * ```
 */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    [SHARES_MEMORY]: true,
    async read(offset, length) {
      checkRange(offset, length, bytes.length);
      return bytes.subarray(offset, offset + length);
    },
  } as ByteSource;
}

/**
 * A {@link ByteSource} over a `Blob` or `File` (browser, Node, Deno): each read is a `blob.slice()`, so only
 * the requested ranges are loaded.
 *
 * @param blob - the file
 * @returns a source reading ranges with `blob.slice(start, end).arrayBuffer()`
 * @throws {SafetensorsError} IO_ERROR when the Blob cannot be read (read time)
 */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    async read(offset, length) {
      checkRange(offset, length, blob.size);
      let buffer: ArrayBuffer;
      try {
        buffer = await blob.slice(offset, offset + length).arrayBuffer();
      } catch (cause) {
        throw new SafetensorsError('IO_ERROR', `reading ${length} bytes at ${offset} from a Blob failed`, {
          cause,
        });
      }
      if (buffer.byteLength !== length) {
        throw new SafetensorsError(
          'IO_ERROR',
          `a Blob read of ${length} bytes at ${offset} returned ${buffer.byteLength} bytes`,
        );
      }
      return new Uint8Array(buffer);
    },
  };
}

/**
 * Turns any {@link SafetensorsInput} into a {@link ByteSource}.
 *
 * @param input - bytes, an ArrayBuffer, a Blob, or a ByteSource (returned as is)
 * @returns the source
 */
export function toByteSource(input: SafetensorsInput): ByteSource {
  if (input instanceof Uint8Array) return bytesSource(input);
  if (input instanceof ArrayBuffer) return bytesSource(new Uint8Array(input));
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input);
  return input as ByteSource;
}

/** Whether reads of `source` alias memory the caller holds. @internal */
export function sharesMemory(source: ByteSource): boolean {
  return (source as { [SHARES_MEMORY]?: boolean })[SHARES_MEMORY] === true;
}

/** Throws unless [offset, offset + length) lies inside [0, size). @internal */
export function checkRange(offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new SafetensorsError('IO_ERROR', `invalid read range: offset ${offset}, length ${length}`);
  }
  if (offset + length > size) {
    throw new SafetensorsError(
      'IO_ERROR',
      `read of ${length} bytes at ${offset} runs past the end of the ${size}-byte source`,
    );
  }
}
