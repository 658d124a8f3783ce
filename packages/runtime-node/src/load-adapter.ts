import {
  type Adapter,
  BaseCheckpoint,
  type OpenBaseCheckpointOptions,
  openAdapter,
  saveAdapterFiles,
} from '@peftjs/runtime';
import { createDirectoryWriter } from './directory-writer.js';
import { nodeFiles } from './node-files.js';

/**
 * Loads a PEFT adapter folder from disk: `adapter_config.json` plus `adapter_model.safetensors` (read lazily), or
 * `adapter_model.bin` (read with the safe torch reader).
 *
 * @param dir - the adapter folder
 * @returns the adapter; call `close()` when done
 * @throws {AdapterError} `MISSING_FILE`, `INVALID_CONFIG`, `INVALID_FILE`, `BAD_ADAPTER`, `UNSUPPORTED_FEATURE`
 * @example
 * ```js
 * const adapter = await loadAdapter('./my-lora');
 * console.log(adapter.peftType, adapter.layers.length);
 * await adapter.close();
 * ```
 */
export function loadAdapter(dir: string): Promise<Adapter> {
  return openAdapter(nodeFiles(dir));
}

/**
 * Opens a Hugging Face checkpoint folder on disk (`model.safetensors`, or shards with
 * `model.safetensors.index.json`); tensors are read one at a time when asked for.
 *
 * @param dir - the model folder
 * @param options - `weights`: which file to open
 * @returns the checkpoint; call `close()` when done
 * @throws {AdapterError} `MISSING_FILE`, `INVALID_FILE`, `INVALID_CHECKPOINT`
 * @example
 * ```js
 * const base = await openBaseCheckpoint('./llama');
 * console.log(base.tensorNames().length, base.parameterCount());
 * await base.close();
 * ```
 */
export function openBaseCheckpoint(
  dir: string,
  options: OpenBaseCheckpointOptions = {},
): Promise<BaseCheckpoint> {
  return BaseCheckpoint.open(nodeFiles(dir), options);
}

/** Options of {@link saveAdapter}. */
export interface SaveAdapterOptions {
  /** Replace `adapter_config.json` / `adapter_model.safetensors` if the folder has them. @defaultValue false */
  readonly overwrite?: boolean;
}

/**
 * Saves an adapter folder as PEFT's `save_pretrained` does: `adapter_config.json` (byte-identical to PEFT's) and
 * `adapter_model.safetensors` (float32, metadata `{"format": "pt"}`), both written through temporary files and
 * renamed together at the end.
 *
 * @param dir - the folder (created if missing)
 * @param adapter - the adapter, e.g. from `combineAdapters`
 * @param options - `overwrite`
 * @throws {AdapterError} `OUTPUT_EXISTS`, `INVALID_CONFIG`, `IO_ERROR`
 * @example
 * ```js
 * await saveAdapter('./combined', combined);
 * ```
 */
export function saveAdapter(dir: string, adapter: Adapter, options: SaveAdapterOptions = {}): Promise<void> {
  return saveAdapterFiles(adapter, createDirectoryWriter(dir, { overwrite: options.overwrite ?? false }));
}
