import type { ByteSource } from '@peftjs/safetensors';
import { AdapterError, wrapError } from './errors.js';

/**
 * Read access to one folder (an adapter, a model checkpoint), injected by the platform: `@peftjs/runtime-node`
 * supplies one over the file system; a browser can supply one over `fetch` + HTTP ranges or dropped `File`s.
 * Names are relative to the folder, `/`-separated.
 */
export interface FileAccess {
  /** A label for messages (a path or a URL). */
  readonly location: string;
  /** Whether `name` exists and is a regular file. */
  exists(name: string): Promise<boolean>;
  /**
   * Opens `name` for random-access reads (`@peftjs/safetensors`' `ByteSource`: `size`, `read(offset, length)`,
   * `close()`). Throws when it does not exist. `read` must return a buffer of its own (not a view of data the
   * source keeps): merging changes tensors in place.
   */
  open(name: string): Promise<FileSource>;
  /** The files directly inside the folder (no sub-folders), when the platform can list them. */
  list?(): Promise<readonly string[]>;
}

/**
 * A `ByteSource` that can also read into a caller's buffer: merges then reuse a few working buffers instead of
 * allocating one per tensor.
 */
export interface FileSource extends ByteSource {
  /** Reads `target.length` bytes at `offset` into `target`. */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
}

/**
 * Reads a whole file through a {@link FileAccess}.
 *
 * @param files - the folder
 * @param name - the file's name in it
 * @returns its bytes
 * @throws {AdapterError} `MISSING_FILE` when absent, `IO_ERROR` when reading fails
 */
export async function readAllBytes(files: FileAccess, name: string): Promise<Uint8Array> {
  if (!(await files.exists(name))) {
    throw new AdapterError('MISSING_FILE', `${files.location}: no file named ${name}`);
  }
  let source: ByteSource | undefined;
  try {
    source = await files.open(name);
    return await source.read(0, source.size);
  } catch (error) {
    throw wrapError(error, 'IO_ERROR', `reading ${name} in ${files.location} failed`);
  } finally {
    await source?.close?.().catch(() => undefined);
  }
}

/**
 * Reads a whole UTF-8 text file through a {@link FileAccess}.
 *
 * @param files - the folder
 * @param name - the file's name in it
 * @returns its text
 * @throws {AdapterError} `MISSING_FILE`, `IO_ERROR`
 */
export async function readAllText(files: FileAccess, name: string): Promise<string> {
  return new TextDecoder('utf-8').decode(await readAllBytes(files, name));
}

/**
 * A {@link FileAccess} over files held in memory (`name → bytes` or `Blob`), e.g. files a user dropped on a page
 * or tests.
 *
 * @param files - the files by name
 * @param location - label for messages
 * @returns the folder
 * @example
 * ```ts
 * const folder = memoryFiles({ 'adapter_config.json': configBytes, 'adapter_model.safetensors': weights });
 * ```
 */
export function memoryFiles(
  files: Readonly<Record<string, Uint8Array | Blob>> | ReadonlyMap<string, Uint8Array | Blob>,
  location = '(memory)',
): FileAccess {
  const map = files instanceof Map ? new Map(files) : new Map(Object.entries(files));
  return {
    location,
    async exists(name) {
      return map.has(name);
    },
    async open(name) {
      const value = map.get(name);
      if (value === undefined) throw new AdapterError('MISSING_FILE', `${location}: no file named ${name}`);
      if (value instanceof Uint8Array) {
        return {
          size: value.length,
          async read(offset: number, length: number) {
            if (offset < 0 || length < 0 || offset + length > value.length) {
              throw new AdapterError(
                'IO_ERROR',
                `${name}: read of ${length} bytes at ${offset} is out of range`,
              );
            }
            return value.slice(offset, offset + length);
          },
        };
      }
      const blob = value;
      return {
        size: blob.size,
        async read(offset: number, length: number) {
          return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
        },
      };
    },
    async list() {
      return [...map.keys()].filter((k) => !k.includes('/'));
    },
  };
}
