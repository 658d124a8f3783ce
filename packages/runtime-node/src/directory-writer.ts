import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, type FileHandle, mkdir, open, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AdapterError, type CheckpointWriter, type FileAccess, isAdapterError } from '@peftjs/runtime';

/** Options of {@link createDirectoryWriter}. */
export interface DirectoryWriterOptions {
  /** Replace files that already exist in the folder. @defaultValue false */
  readonly overwrite?: boolean;
  /** `fsync` each file before it is renamed into place (durable against power loss). @defaultValue true */
  readonly sync?: boolean;
}

/** A {@link CheckpointWriter} into a folder, with the paths it wrote once committed. */
export interface DirectoryWriter extends CheckpointWriter {
  /** The folder. */
  readonly dir: string;
}

interface Staged {
  readonly temp: string;
  readonly final: string;
}

const MAX_WRITE_BYTES = 1 << 30; // 1 GiB per write call

/**
 * Writes files into a folder through hidden temporary files (`.<name>.<uuid>.tmp` in the same folder) that
 * `commit()` renames into place, so a crash or an error never leaves a half-written file under a real name, and
 * `abort()` removes them. Writes are pipelined: one chunk is written while the next is produced.
 *
 * @param dir - the output folder (created if missing; removed again on abort if it was created and is empty)
 * @param options - `overwrite`, `sync`
 * @returns the writer
 * @throws {AdapterError} from `writeFile`: `OUTPUT_EXISTS` when a file exists and `overwrite` is false, `IO_ERROR`
 * @example
 * ```js
 * const writer = createDirectoryWriter('./merged');
 * await mergeAdapter({ base, adapter, writer });
 * ```
 */
export function createDirectoryWriter(dir: string, options: DirectoryWriterOptions = {}): DirectoryWriter {
  const root = resolve(dir);
  const staged: Staged[] = [];
  let created: boolean | undefined;

  async function stage(name: string): Promise<Staged> {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `cannot write ${JSON.stringify(name)}: not a plain file name`,
      );
    }
    if (created === undefined) {
      const existed = await stat(root).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!existed) await mkdir(root, { recursive: true });
      created = !existed;
    }
    const final = join(root, name);
    if (!options.overwrite && (await exists(final))) {
      throw new AdapterError('OUTPUT_EXISTS', `${final} already exists (pass overwrite to replace it)`);
    }
    const entry = { temp: join(root, `.${name}.${randomUUID()}.tmp`), final };
    staged.push(entry);
    return entry;
  }

  return {
    dir: root,
    async writeFile(name, chunks) {
      const { temp } = await stage(name);
      let handle: FileHandle | undefined;
      let pending: Promise<void> | undefined;
      try {
        handle = await open(temp, 'wx');
        let position = 0;
        for await (const chunk of chunks) {
          // One write in flight while the next chunk (the next merged tensor) is being produced.
          await pending;
          pending = writeAll(handle, chunk, position);
          position += chunk.length;
        }
        await pending;
        if (options.sync !== false) await handle.sync();
      } catch (error) {
        await pending?.catch(() => undefined);
        throw ioError(`writing ${join(root, name)} failed`, error);
      } finally {
        await handle?.close().catch(() => undefined);
      }
    },
    async copyFile(from: FileAccess, name: string) {
      const { temp } = await stage(name);
      try {
        await copyFile(join(from.location, name), temp, constants.COPYFILE_EXCL);
      } catch (error) {
        throw ioError(`copying ${name} from ${from.location} failed`, error);
      }
    },
    async commit() {
      try {
        for (const { temp, final } of staged) await rename(temp, final);
      } catch (error) {
        throw ioError(`moving the new files into ${root} failed`, error);
      }
      staged.length = 0;
    },
    async abort() {
      await Promise.all(staged.map(({ temp }) => rm(temp, { force: true }).catch(() => undefined)));
      staged.length = 0;
      if (created) await rmdir(root).catch(() => undefined);
    },
  };
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < chunk.length; ) {
    const { bytesWritten } = await handle.write(
      chunk,
      done,
      Math.min(chunk.length - done, MAX_WRITE_BYTES),
      position + done,
    );
    done += bytesWritten;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function ioError(what: string, error: unknown): AdapterError {
  if (isAdapterError(error)) return error;
  return new AdapterError('IO_ERROR', `${what}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
