import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { decodeModel, externalDataFromFiles, isExternalTensor } from '@peftjs/onnx';
import { saveModel } from '@peftjs/onnx/node';
import { AdapterError, type Backend, isAdapterError, type OnnxModelBytes } from '@peftjs/runtime';
import { createAdapterSession } from './create-adapter-session.js';
import { loadAdapter } from './load-adapter.js';

/** Options of {@link saveOnnxModel}. */
export interface SaveOnnxModelOptions {
  /** Replace the files if they exist. @defaultValue false */
  readonly overwrite?: boolean;
}

/** What {@link saveOnnxModel} wrote. */
export interface SavedOnnxModel {
  /** The `.onnx` file. */
  readonly model: string;
  /** Its external data file (next to it), or null when every tensor is inside the model. */
  readonly externalData: string | null;
}

/**
 * Writes an in-memory ONNX model to disk: a model with external data gets its own `<file>.data` next to it (all
 * its external tensors, re-laid out), an inline model one `.onnx` file. Both are written to temporary files and
 * renamed into place.
 *
 * @param path - the `.onnx` file to write
 * @param model - the model (e.g. from `AdapterSession.mergeAndUnload()`)
 * @param options - `overwrite`
 * @returns the files written
 * @throws {AdapterError} `OUTPUT_EXISTS`, `IO_ERROR`
 * @example
 * ```js
 * await saveOnnxModel('merged.onnx', await session.mergeAndUnload());
 * ```
 */
export async function saveOnnxModel(
  path: string,
  model: OnnxModelBytes,
  options: SaveOnnxModelOptions = {},
): Promise<SavedOnnxModel> {
  const proto = decodeModel(model.bytes);
  const external = proto.graph.initializer.some((t) => isExternalTensor(t));
  const dataPath = external ? `${path}.data` : null;
  if (options.overwrite !== true) {
    for (const file of [path, dataPath]) {
      if (file !== null && (await stat(file).catch(() => undefined)) !== undefined) {
        throw new AdapterError('OUTPUT_EXISTS', `${file} already exists (pass overwrite to replace it)`);
      }
    }
  }
  try {
    await saveModel(path, proto, {
      source: externalDataFromFiles(model.externalData),
      externalData: external ? { location: `${basename(path)}.data` } : 'inline',
    });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new AdapterError('IO_ERROR', `writing ${path} failed: ${message}`, { cause });
  }
  return { model: path, externalData: dataPath };
}

/** Options of {@link mergeAdapterToOnnx}. */
export interface MergeToOnnxOptions {
  /** The base `.onnx` file. */
  readonly model: string;
  /** The adapter folder. */
  readonly adapterDir: string;
  /** The base checkpoint folder (finds anonymous ONNX weights by value). */
  readonly base?: string;
  /** The `.onnx` file to write. */
  readonly out: string;
  /** Replace existing output files. @defaultValue false */
  readonly overwrite?: boolean;
  /** Another backend than onnxruntime-node (merging itself creates no backend session). */
  readonly backend?: Backend;
}

/** What {@link mergeAdapterToOnnx} did. */
export interface MergeToOnnxResult extends SavedOnnxModel {
  /** The adapter's PEFT type. */
  readonly peftType: string;
  /** Modules whose weights the adapter changes. */
  readonly modules: number;
  /** Base parameters it replaces (modules_to_save, trained biases). */
  readonly replaced: number;
}

/**
 * Merges an adapter into an ONNX model and writes the merged model (PEFT's `merge_and_unload()` on the ONNX
 * weights): `merge --onnx`.
 *
 * @param options - model, adapter, base, out, overwrite
 * @returns the files written and what was merged
 * @throws {AdapterError} `OUTPUT_EXISTS` (checked before any work), the loading errors, `TARGET_NOT_FOUND`,
 *   `SHAPE_MISMATCH`, `IO_ERROR`
 * @example
 * ```js
 * await mergeAdapterToOnnx({ model: 'opt/model.onnx', adapterDir: './lora', out: 'merged/model.onnx' });
 * ```
 */
export async function mergeAdapterToOnnx(options: MergeToOnnxOptions): Promise<MergeToOnnxResult> {
  if (options.overwrite !== true && (await stat(options.out).catch(() => undefined)) !== undefined) {
    throw new AdapterError('OUTPUT_EXISTS', `${options.out} already exists (pass overwrite to replace it)`);
  }
  const session = await createAdapterSession({
    model: options.model,
    ...(options.base === undefined ? {} : { base: options.base }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const adapter = await loadAdapter(options.adapterDir);
  try {
    await session.addAdapter(adapter);
    const merged = await session.mergeAndUnload();
    const saved = await saveOnnxModel(options.out, merged, { overwrite: options.overwrite === true });
    return {
      ...saved,
      peftType: adapter.peftType,
      modules: adapter.layers.length,
      replaced: adapter.replacements.length,
    };
  } catch (error) {
    if (isAdapterError(error)) throw error;
    throw new AdapterError('IO_ERROR', `merging into ${options.model} failed: ${String(error)}`, {
      cause: error,
    });
  } finally {
    await session.close();
    await adapter.close();
  }
}
