import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AdapterError, type FileAccess, type FileSource } from '@peftjs/runtime';

/** Reads at least this big go into a `SharedArrayBuffer`, so a kernel worker pool can merge them in place. */
export const SHARED_READ_BYTES = 1024 * 1024; // 1 MiB
/** Reads at least this big are split into concurrent positional reads. */
const SLICE_BYTES = 16 * 1024 * 1024; // 16 MiB
/** Most concurrent reads per request. */
const PARALLEL_READS = 4;
/** Largest single `read()` call. */
const MAX_READ_BYTES = 1 << 30; // 1 GiB

/**
 * A {@link FileAccess} over a folder on disk: what `@peftjs/runtime` reads adapters and checkpoints through.
 * Symbolic links are followed (Hugging Face cache snapshots are links to blobs). Each read returns a buffer of its
 * own; big ones are backed by a `SharedArrayBuffer`.
 *
 * @param dir - the folder
 * @returns the folder access
 * @example
 * ```js
 * const files = nodeFiles('./my-adapter');
 * console.log(await files.exists('adapter_config.json'));
 * ```
 */
export function nodeFiles(dir: string): FileAccess {
  const root = resolve(dir);
  const path = (name: string) => {
    if (name.split(/[\\/]/).includes('..')) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `file name ${JSON.stringify(name)} leaves the folder ${root}`,
      );
    }
    return join(root, name);
  };
  return {
    location: root,
    async exists(name) {
      try {
        return (await stat(path(name))).isFile();
      } catch {
        return false;
      }
    },
    open: (name) => openSource(path(name)),
    async list() {
      const names: string[] = [];
      for (const entry of await readdir(root, { withFileTypes: true })) {
        if (entry.isFile()) names.push(entry.name);
        else if (entry.isSymbolicLink()) {
          const target = await stat(join(root, entry.name)).catch(() => undefined);
          if (target?.isFile()) names.push(entry.name);
        }
      }
      return names.sort();
    },
  };
}

async function openSource(path: string): Promise<FileSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AdapterError(missing ? 'MISSING_FILE' : 'IO_ERROR', `cannot open ${path}: ${String(cause)}`, {
      cause,
    });
  }
  const { size } = await handle.stat();
  let closed = false;
  async function readInto(offset: number, target: Uint8Array): Promise<void> {
    const length = target.length;
    if (closed) throw new AdapterError('IO_ERROR', `cannot read ${path}: it was closed`);
    if (offset < 0 || offset + length > size) {
      throw new AdapterError(
        'IO_ERROR',
        `${path}: read of ${length} bytes at ${offset} is outside its ${size} bytes`,
      );
    }
    // Big reads are split into slices read concurrently: each pread copies from the page cache on its own libuv
    // thread.
    const slices = Math.max(1, Math.min(PARALLEL_READS, Math.floor(length / SLICE_BYTES)));
    const step = Math.ceil(length / slices);
    try {
      await Promise.all(
        Array.from({ length: slices }, (_, i) =>
          readFully(handle, target, i * step, Math.min(step, length - i * step), offset + i * step, path),
        ),
      );
    } catch (cause) {
      throw new AdapterError(
        'IO_ERROR',
        `reading ${length} bytes at ${offset} from ${path} failed: ${String(cause)}`,
        {
          cause,
        },
      );
    }
  }
  return {
    size,
    readInto,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const buffer = length >= SHARED_READ_BYTES ? sharedBytes(length) : new Uint8Array(length);
      await readInto(offset, buffer);
      return buffer;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

/**
 * Zero-filled bytes backed by a `SharedArrayBuffer`, which `@peftjs/kernels/node`'s worker pool merges in place.
 *
 * @param length - number of bytes
 * @returns the bytes
 */
export function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

async function readFully(
  handle: FileHandle,
  buffer: Uint8Array,
  at: number,
  length: number,
  position: number,
  path: string,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(
      buffer,
      at + done,
      Math.min(length - done, MAX_READ_BYTES),
      position + done,
    );
    if (bytesRead === 0) throw new Error(`${path} ended early (was it truncated?)`);
    done += bytesRead;
  }
}
