import { CONFIG_NAME, serializeAdapterConfig } from '@peftjs/config';
import { type LazyTensorInput, serializeSafetensorsStream } from '@peftjs/safetensors';
import type { Adapter } from './adapter.js';
import { wrapError } from './errors.js';
import type { CheckpointWriter } from './merge-adapter.js';
import { ADAPTER_SAFETENSORS_NAME } from './open-adapter.js';

/**
 * The bytes of `adapter_config.json` as PEFT's `save_pretrained` writes them.
 *
 * @param adapter - the adapter
 * @returns the file's text (sorted keys, two-space indent, Python float spelling)
 * @throws {AdapterError} `INVALID_CONFIG` when the config fails PEFT's checks
 */
export function adapterConfigText(adapter: Adapter): string {
  try {
    return serializeAdapterConfig(adapter.config);
  } catch (error) {
    throw wrapError(error, 'INVALID_CONFIG', 'the adapter config cannot be saved');
  }
}

/**
 * `adapter_model.safetensors` as PEFT writes it: the adapter's keys, float32 values (PEFT holds adapter weights
 * in float32), metadata `{"format": "pt"}`, Python's layout — streamed, one tensor read at a time.
 *
 * @param adapter - the adapter
 * @returns the file's chunks
 */
export function adapterWeightChunks(adapter: Adapter): AsyncIterable<Uint8Array> {
  const entries: [string, LazyTensorInput][] = [...adapter.tensors].map(([name, t]) => [
    name,
    { dtype: 'F32', shape: t.shape, data: () => t.float32() },
  ]);
  return serializeSafetensorsStream(entries, { metadata: { format: 'pt' } });
}

/**
 * Writes an adapter folder as PEFT's `save_pretrained` does (`adapter_config.json` and
 * `adapter_model.safetensors`; the README model card is left to `@peftjs/model-card`), committing both files
 * together or neither.
 *
 * @param adapter - the adapter
 * @param writer - where the files go
 * @throws {AdapterError} `INVALID_CONFIG`, `IO_ERROR`
 * @example
 * ```ts
 * const writer = createMemoryWriter();
 * await saveAdapterFiles(combined, writer);
 * ```
 */
export async function saveAdapterFiles(adapter: Adapter, writer: CheckpointWriter): Promise<void> {
  const text = adapterConfigText(adapter);
  try {
    await writer.writeFile(CONFIG_NAME, once(new TextEncoder().encode(text)));
    await writer.writeFile(ADAPTER_SAFETENSORS_NAME, adapterWeightChunks(adapter));
    await writer.commit();
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw wrapError(error, 'IO_ERROR', 'saving the adapter failed');
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
