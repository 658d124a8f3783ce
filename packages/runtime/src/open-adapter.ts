import { CONFIG_NAME } from '@peftjs/config';
import {
  openSafetensors,
  readTorchCheckpoint,
  type SafetensorsReader,
  type TorchTensor,
} from '@peftjs/safetensors';
import { Adapter } from './adapter.js';
import { type AdapterTensor, memoryTensor, safetensorsTensor } from './adapter-tensor.js';
import { AdapterError, wrapError } from './errors.js';
import { type FileAccess, readAllBytes, readAllText } from './file-access.js';

/** The weights file PEFT writes by default. */
export const ADAPTER_SAFETENSORS_NAME = 'adapter_model.safetensors';
/** The weights file PEFT writes with `safe_serialization=False` (and before 0.7 by default). */
export const ADAPTER_BIN_NAME = 'adapter_model.bin';

/**
 * Loads a PEFT adapter folder as PEFT's `load_peft_weights` does: `adapter_config.json`, then
 * `adapter_model.safetensors` (tensors read lazily), else `adapter_model.bin` (read through the safe torch
 * reader, no code executed).
 *
 * @param files - the adapter folder
 * @returns the adapter; call `close()` when done
 * @throws {AdapterError} `MISSING_FILE` (no config or no weights), `INVALID_CONFIG`, `INVALID_FILE`,
 *   `BAD_ADAPTER`, `UNSUPPORTED_FEATURE`
 * @example
 * ```ts
 * const adapter = await openAdapter(memoryFiles({ 'adapter_config.json': config, 'adapter_model.safetensors': w }));
 * ```
 */
export async function openAdapter(files: FileAccess): Promise<Adapter> {
  if (!(await files.exists(CONFIG_NAME))) {
    throw new AdapterError(
      'MISSING_FILE',
      `${files.location} is not a PEFT adapter folder: it has no ${CONFIG_NAME}`,
    );
  }
  const configText = await readAllText(files, CONFIG_NAME);
  if (await files.exists(ADAPTER_SAFETENSORS_NAME)) {
    let reader: SafetensorsReader;
    try {
      reader = await openSafetensors(await files.open(ADAPTER_SAFETENSORS_NAME));
    } catch (error) {
      throw wrapError(
        error,
        'INVALID_FILE',
        `${files.location}/${ADAPTER_SAFETENSORS_NAME} is not a valid safetensors file`,
      );
    }
    try {
      const tensors = new Map<string, AdapterTensor>();
      for (const name of reader.tensorNames()) tensors.set(name, safetensorsTensor(reader, name));
      return Adapter.create({
        config: configText,
        tensors,
        format: 'safetensors',
        close: () => reader.close(),
      });
    } catch (error) {
      await reader.close().catch(() => undefined);
      throw error;
    }
  }
  if (await files.exists(ADAPTER_BIN_NAME)) {
    const bytes = await readAllBytes(files, ADAPTER_BIN_NAME);
    let checkpoint: Map<string, TorchTensor>;
    try {
      checkpoint = readTorchCheckpoint(bytes);
    } catch (error) {
      throw wrapError(
        error,
        'INVALID_FILE',
        `${files.location}/${ADAPTER_BIN_NAME} is not a readable torch checkpoint`,
      );
    }
    const tensors = new Map<string, AdapterTensor>();
    for (const [name, t] of checkpoint) {
      tensors.set(name, memoryTensor(name, t));
    }
    return Adapter.create({ config: configText, tensors, format: 'bin' });
  }
  throw new AdapterError(
    'MISSING_FILE',
    `${files.location} has ${CONFIG_NAME} but no weights: expected ${ADAPTER_SAFETENSORS_NAME} or ${ADAPTER_BIN_NAME}`,
  );
}
