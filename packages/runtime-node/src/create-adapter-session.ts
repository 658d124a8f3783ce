import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { decodeModel, isOnnxError } from '@peftjs/onnx';
import { readExternalDataFiles } from '@peftjs/onnx/node';
import {
  AdapterError,
  AdapterSession,
  type Backend,
  type BaseCheckpoint,
  type OnnxModelBytes,
  type SessionMode,
} from '@peftjs/runtime';
import { openBaseCheckpoint } from './load-adapter.js';
import { nodeFiles } from './node-files.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';

/** Options of {@link createAdapterSession}. */
export interface CreateAdapterSessionOptions {
  /** The base model's `.onnx` file; external data files are read from its folder. */
  readonly model: string;
  /** The base model's checkpoint folder (or an open checkpoint): finds anonymous ONNX weights by value. */
  readonly base?: string | BaseCheckpoint;
  /** `'merged'` (default) or `'dynamic'`. */
  readonly mode?: SessionMode;
  /** Threads per operator in onnxruntime-node. @defaultValue onnxruntime's default */
  readonly threads?: number;
  /** Another backend (default: `onnxruntimeNodeBackend({ threads })`). */
  readonly backend?: Backend;
  /** Merged mode: backend sessions kept for recently used active sets. @defaultValue 2 */
  readonly cacheSize?: number;
}

/**
 * Reads an `.onnx` file and every external data file it names (from the model's folder) into memory.
 *
 * @param path - the `.onnx` file
 * @returns the model bytes and external data files
 * @throws {AdapterError} `MISSING_FILE` (the model or a data file is absent), `INVALID_FILE`, `IO_ERROR`
 * @example
 * ```js
 * const { bytes, externalData } = await readOnnxModel('model.onnx');
 * ```
 */
export async function readOnnxModel(path: string): Promise<OnnxModelBytes> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AdapterError(
      missing ? 'MISSING_FILE' : 'IO_ERROR',
      `cannot read ONNX model ${path}: ${String(cause)}`,
      {
        cause,
      },
    );
  }
  try {
    const externalData = await readExternalDataFiles(decodeModel(bytes), dirname(resolve(path)));
    return { bytes, externalData };
  } catch (cause) {
    const code =
      isOnnxError(cause) && cause.code === 'EXTERNAL_DATA_MISSING' ? 'MISSING_FILE' : 'INVALID_FILE';
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new AdapterError(code, `cannot load ONNX model ${path}: ${message}`, { cause });
  }
}

/**
 * Opens an {@link AdapterSession} on an ONNX model on disk, run by onnxruntime-node; `loadAdapter(dir, name)` then
 * reads adapter folders from disk.
 *
 * @param options - model path, base checkpoint folder, mode, threads
 * @returns the session; `close()` it when done (it closes the checkpoint it opened)
 * @throws {AdapterError} `MISSING_FILE`, `INVALID_FILE`, `INVALID_ARGUMENT` (bad mode or cacheSize)
 * @example
 * ```js
 * const session = await createAdapterSession({ model: 'opt/model.onnx', base: 'opt' });
 * await session.loadAdapter('./my-lora', 'mine');
 * const { logits } = await session.run(feeds);
 * await session.close();
 * ```
 */
export async function createAdapterSession(options: CreateAdapterSessionOptions): Promise<AdapterSession> {
  const backend =
    options.backend ??
    onnxruntimeNodeBackend(options.threads === undefined ? {} : { threads: options.threads });
  const input = await readOnnxModel(options.model);
  const opened = typeof options.base === 'string' ? await openBaseCheckpoint(options.base) : undefined;
  const base = opened ?? (typeof options.base === 'string' ? undefined : options.base);
  try {
    return await AdapterSession.create({
      backend,
      model: input,
      ...(base === undefined ? {} : { base }),
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
      closeBase: opened !== undefined,
      files: nodeFiles,
    });
  } catch (error) {
    await opened?.close();
    throw error;
  }
}
