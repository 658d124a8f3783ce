import { randomUUID } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isSafetensorsError } from '../errors.js';
import type { SerializeOptions } from '../serialize-safetensors.js';
import { type LazyTensorEntries, serializeSafetensorsStream } from '../serialize-stream.js';
import { ioError } from './file-source.js';

/** Options of {@link writeSafetensorsFile}. */
export interface WriteSafetensorsFileOptions extends SerializeOptions {
  /**
   * Flush the file to disk (`fsync`) before renaming it into place, so a crash never leaves a partial file.
   * @defaultValue true
   */
  sync?: boolean;
}

/** Largest single write: Node caps one write at 2 GiB - 1. */
const MAX_WRITE_BYTES = 1 << 30; // 1 GiB

/**
 * Writes a safetensors file in bounded memory: lazy tensor data is pulled one tensor (or chunk) at a time,
 * into a temporary file in the same folder that is renamed over `path` only when complete, so bad input or
 * a failure never leaves a partial or corrupted file. Byte-identical to `serializeSafetensors`.
 *
 * @param path - destination file
 * @param tensors - named tensors; `data` may be a function returning bytes or chunks (see LazyTensorData)
 * @param options - `metadata` (string map) and `sync`
 * @throws {SafetensorsError} the serializer's codes; IO_ERROR when writing fails
 * @example
 * ```ts
 * await writeSafetensorsFile('out.safetensors', { w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }, {
 *   metadata: { format: 'pt' },
 * });
 * ```
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: LazyTensorEntries,
  options?: WriteSafetensorsFileOptions,
): Promise<void> {
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.${randomUUID()}.tmp`);
  let handle: FileHandle | undefined;
  try {
    let position = 0;
    for await (const chunk of serializeSafetensorsStream(tensors, { metadata: options?.metadata })) {
      // Opened on the first chunk: input that fails validation never touches the disk.
      handle ??= await open(temp, 'wx');
      for (let done = 0; done < chunk.length; ) {
        const want = Math.min(chunk.length - done, MAX_WRITE_BYTES);
        const { bytesWritten } = await handle.write(chunk, done, want, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    if (handle === undefined) throw new Error('the serializer produced no bytes');
    if (options?.sync !== false) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    if (isSafetensorsError(error)) throw error;
    throw ioError(`writing ${path} failed`, error);
  }
}
