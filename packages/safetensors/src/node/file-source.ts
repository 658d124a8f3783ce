import { type FileHandle, open } from 'node:fs/promises';
import { type ByteSource, checkRange } from '../byte-source.js';
import { SafetensorsError } from '../errors.js';

/** A {@link ByteSource} over an open file; close it when done. */
export interface FileByteSource extends ByteSource {
  /** The file's path, as given. */
  readonly path: string;
  /** Closes the file handle; later reads throw `IO_ERROR`. Safe to call twice. */
  close(): Promise<void>;
}

/** Largest single positional read: Node caps one read at 2 GiB - 1. */
const MAX_READ_BYTES = 1 << 30; // 1 GiB
/** Reads at least this large are split across concurrent preads. */
const MIN_SLICE_BYTES = 16 * 1024 * 1024; // 16 MiB
/** Most concurrent preads for one read (libuv's default thread pool has 4 threads). */
const PARALLEL_READS = 4;

/**
 * Opens a file for positional reads: each `read(offset, length)` reads exactly that range into a new
 * buffer (a `pread`), so a multi-GB file is never loaded whole.
 *
 * @param path - the file's path
 * @returns an open source; call `close()` when done
 * @throws {SafetensorsError} IO_ERROR when the file cannot be opened or read
 * @example
 * ```ts
 * const source = await openFileSource('model.safetensors');
 * const reader = await openSafetensors(source);
 * ```
 */
export async function openFileSource(path: string): Promise<FileByteSource> {
  let handle: FileHandle;
  let size: number;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw ioError(`cannot open ${path}`, cause);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (cause) {
    await handle.close().catch(() => undefined);
    throw ioError(`cannot stat ${path}`, cause);
  }
  let closed = false;
  return {
    path,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      checkRange(offset, length, size);
      if (closed) throw new SafetensorsError('IO_ERROR', `cannot read ${path}: the file is closed`);
      // Unpooled and not zero-filled: every byte is overwritten by the read below.
      const buffer = Buffer.allocUnsafeSlow(length);
      // Large reads are split into slices read concurrently: each pread copies from the page cache on its
      // own libuv thread, so they run in parallel.
      const slices = Math.min(PARALLEL_READS, Math.ceil(length / MIN_SLICE_BYTES));
      const step = Math.ceil(length / slices);
      let done = 0;
      try {
        const counts = await Promise.all(
          Array.from({ length: slices }, (_, i) =>
            readFully(handle, buffer, i * step, Math.min(step, length - i * step), offset + i * step),
          ),
        );
        done = counts.reduce((a, b) => a + b, 0);
      } catch (cause) {
        throw ioError(`reading ${length} bytes at ${offset} from ${path} failed`, cause);
      }
      if (done !== length) {
        throw new SafetensorsError(
          'IO_ERROR',
          `${path} ended before ${offset + length} bytes while reading ${length} bytes at ${offset} (was it truncated?)`,
        );
      }
      return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

/** Reads `length` bytes at `position` into `buffer[at..]`; returns how many it got (fewer at end of file). */
async function readFully(
  handle: FileHandle,
  buffer: Buffer,
  at: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const want = Math.min(length - done, MAX_READ_BYTES);
    const { bytesRead } = await handle.read(buffer, at + done, want, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** An IO_ERROR carrying the system error's message. @internal */
export function ioError(what: string, cause: unknown): SafetensorsError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new SafetensorsError('IO_ERROR', `${what}${why}`, { cause });
}
