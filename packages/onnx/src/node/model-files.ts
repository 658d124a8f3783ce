import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OnnxError } from '../errors.js';
import { decodeModel } from '../model/codec.js';
import {
  type ExternalDataFile,
  type ExternalDataSource,
  externalDataFromFiles,
  isExternalTensor,
} from '../model/external-data.js';
import { readTensorData } from '../model/tensor-data.js';
import type { ModelProto } from '../model/types.js';
import {
  collectTensors,
  type ExternalDataLayout,
  planExternalData,
  readInlined,
} from '../model/write-model.js';
import { openExternalData, readExternalDataFiles, readWholeFile } from './external-files.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * `'lazy'` (default): external data is read from disk when asked (positional reads, any size);
   * `'memory'`: every external file is read now, and `files` holds them (for onnxruntime's `externalData`).
   */
  externalData?: 'lazy' | 'memory';
}

/** A model loaded by {@link loadModel}. */
export interface LoadedModel {
  model: ModelProto;
  /** The model's folder (external locations are relative to it). */
  dir: string;
  /** Reads the model's external data. */
  source: ExternalDataSource;
  /** With `externalData: 'memory'`: the external files, as onnxruntime's `externalData` takes them. */
  files: ExternalDataFile[];
  /** Closes open files (lazy mode). */
  close(): Promise<void>;
}

/**
 * Loads an `.onnx` file and gives access to its external data files.
 *
 * @param path - the `.onnx` file
 * @param options - see {@link LoadModelOptions}
 * @returns the model and its data source; `close()` it when done
 * @throws {OnnxError} `IO_FAILED` / `EXTERNAL_DATA_MISSING` when a file cannot be read, `INVALID_PROTOBUF`
 * @example
 * ```ts
 * const { model, files, close } = await loadModel('model.onnx', { externalData: 'memory' });
 * ```
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const model = decodeModel(await readWholeFile(path));
  const dir = dirname(path);
  if (options.externalData === 'memory') {
    const files = await readExternalDataFiles(model, dir);
    return { model, dir, source: externalDataFromFiles(files), files, close: async () => {} };
  }
  const source = openExternalData(dir);
  return { model, dir, source, files: [], close: () => source.close() };
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /**
   * `'inline'` or an external layout (`location` relative to the model's folder). Default: the layout
   * `{ location: '<file name>.data' }` when the model has external tensors, else `'inline'`.
   */
  externalData?: 'inline' | ExternalDataLayout;
  /** Where the model's current external tensors are read from. */
  source?: ExternalDataSource;
  /** `fsync` the files before renaming them (default true). */
  sync?: boolean;
}

async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

async function writeChunks(handle: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  let position = 0;
  for (const chunk of chunks) {
    await writeAt(handle, chunk, position);
    position += chunk.length;
  }
}

/**
 * Saves a model to disk: the external data file (if any) and the `.onnx` file are written to temporary
 * files in the same folder, then renamed over the targets, so a failure never leaves a half-written model.
 * Tensor data is streamed one tensor at a time.
 *
 * @param path - the `.onnx` file to write
 * @param model - the model
 * @param options - see {@link SaveModelOptions}
 * @throws {OnnxError} `IO_FAILED` when writing fails, `EXTERNAL_DATA_MISSING` when a tensor cannot be read
 * @example
 * ```ts
 * await saveModel('merged/model.onnx', model, { source, externalData: { location: 'model.onnx.data' } });
 * ```
 */
export async function saveModel(
  path: string,
  model: ModelProto,
  options: SaveModelOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const hasExternal = collectTensors(model.graph).some(([t]) => isExternalTensor(t));
  const layout = options.externalData ?? (hasExternal ? { location: `${basename(path)}.data` } : 'inline');
  const plan = planExternalData(model, layout);
  const tag = `.${randomBytes(6).toString('hex')}.tmp`;
  const temps: [string, string][] = [];
  try {
    if (layout !== 'inline') {
      const target = join(dir, layout.location);
      const temp = join(dirname(target), `.${basename(target)}${tag}`);
      temps.push([temp, target]);
      const handle = await open(temp, 'w');
      try {
        for (const entry of plan.entries) {
          await writeAt(handle, await readTensorData(entry.tensor, options.source), entry.offset);
        }
        await handle.truncate(plan.fileLength);
        if (options.sync !== false) await handle.sync();
      } finally {
        await handle.close();
      }
    }
    const temp = join(dir, `.${basename(path)}${tag}`);
    temps.push([temp, path]);
    const chunks = plan.encode(await readInlined(plan, options.source), true);
    const handle = await open(temp, 'w');
    try {
      await writeChunks(handle, chunks);
      if (options.sync !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    for (const [from, to] of temps) await rename(from, to);
  } catch (cause) {
    await Promise.all(temps.map(([temp]) => rm(temp, { force: true })));
    if (cause instanceof OnnxError) throw cause;
    throw new OnnxError('IO_FAILED', `Failed to save the model to "${path}": ${String(cause)}`, {
      value: path,
      cause,
    });
  }
}
