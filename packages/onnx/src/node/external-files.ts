import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { OnnxError } from '../errors.js';
import {
  checkExternalLocation,
  type ExternalDataFile,
  type ExternalDataSource,
  getExternalDataInfo,
} from '../model/external-data.js';
import type { ModelProto } from '../model/types.js';
import { collectTensors } from '../model/write-model.js';

/** An {@link ExternalDataSource} over a folder on disk; close it when done. */
export interface FileExternalDataSource extends ExternalDataSource {
  /** The folder the locations are relative to. */
  readonly dir: string;
  /** Closes the open files. */
  close(): Promise<void>;
}

function ioError(what: string, path: string, cause: unknown): OnnxError {
  const code = (cause as { code?: string } | undefined)?.code;
  if (code === 'ENOENT') {
    return new OnnxError('EXTERNAL_DATA_MISSING', `${what} "${path}": the file does not exist.`, {
      value: path,
      cause,
    });
  }
  return new OnnxError('IO_FAILED', `${what} "${path}": ${String(cause)}`, { value: path, cause });
}

/**
 * Reads external data from the files of a folder with positional reads, so a file of any size (also over
 * 2 GB) is never loaded whole. Locations are checked (relative, no `..`).
 *
 * @param dir - the model's folder
 * @returns the source; `close()` it when done
 * @example
 * ```ts
 * const source = openExternalData('/models/opt');
 * const bytes = await readTensorData(tensor, source);
 * await source.close();
 * ```
 */
export function openExternalData(dir: string): FileExternalDataSource {
  const handles = new Map<string, Promise<{ handle: FileHandle; size: number }>>();
  function file(location: string): Promise<{ handle: FileHandle; size: number }> {
    let entry = handles.get(location);
    if (!entry) {
      const path = join(dir, checkExternalLocation(location));
      entry = (async () => {
        try {
          const handle = await open(path, 'r');
          return { handle, size: (await handle.stat()).size };
        } catch (cause) {
          throw ioError('Failed to open external data file', path, cause);
        }
      })();
      handles.set(location, entry);
    }
    return entry;
  }
  return {
    dir,
    async read(location, offset, length) {
      const { handle, size } = await file(location);
      if (offset + length > size) {
        throw new OnnxError(
          'EXTERNAL_DATA_OUT_OF_RANGE',
          `External data range [${offset}, ${offset + length}) is past the end of "${location}" (${size} bytes).`,
          { value: { location, offset, length } },
        );
      }
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0)
          throw ioError('Unexpected end of external data file', join(dir, location), undefined);
        done += bytesRead;
      }
      return out;
    },
    async close() {
      const all = [...handles.values()];
      handles.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.handle.close()));
    },
  };
}

/**
 * Reads every external data file a model refers to, whole, as onnxruntime's `externalData` option wants them
 * (`[{ path: location, data }]`).
 *
 * @param model - the model
 * @param dir - the model's folder
 * @returns one entry per distinct location, in first-use order
 * @throws {OnnxError} `EXTERNAL_DATA_MISSING` for a missing file, `INVALID_EXTERNAL_DATA` for an unsafe location
 */
export async function readExternalDataFiles(model: ModelProto, dir: string): Promise<ExternalDataFile[]> {
  const locations: string[] = [];
  for (const [tensor] of collectTensors(model.graph)) {
    const info = getExternalDataInfo(tensor);
    if (info && !locations.includes(info.location)) locations.push(info.location);
  }
  const files: ExternalDataFile[] = [];
  for (const location of locations) {
    files.push({ path: location, data: await readWholeFile(join(dir, location)) });
  }
  return files;
}

/** Largest read issued at once (fs.read takes at most 2 GiB − 1 per call). */
const READ_CHUNK = 1 << 30; // 1 GiB

/**
 * Reads a whole file into one new buffer with positional reads (no 2 GiB `readFile` limit).
 *
 * @param path - the file
 * @returns its bytes
 * @throws {OnnxError} `EXTERNAL_DATA_MISSING` when it does not exist, `IO_FAILED` otherwise
 * @internal
 */
export async function readWholeFile(path: string): Promise<Uint8Array> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const size = (await handle.stat()).size;
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(out, done, Math.min(READ_CHUNK, size - done), done);
      if (bytesRead === 0)
        throw new Error(`the file was ${size} bytes when opened but ended after ${done} while reading`);
      done += bytesRead;
    }
    return out;
  } catch (cause) {
    throw ioError('Failed to read', path, cause);
  } finally {
    await handle?.close();
  }
}
