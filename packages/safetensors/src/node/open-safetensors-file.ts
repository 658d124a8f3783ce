import {
  openSafetensors,
  readAllTensors,
  type SafetensorsContents,
  type SafetensorsReader,
} from '../open-safetensors.js';
import { openFileSource } from './file-source.js';

/**
 * Opens a safetensors file for random access: reads and validates only the header, then reads each tensor
 * with one positional read when asked. Call `close()` when done.
 *
 * @param path - the file's path
 * @returns a reader over the file
 * @throws {SafetensorsError} any header validation code; IO_ERROR when the file cannot be read
 * @example
 * ```ts
 * const file = await openSafetensorsFile('adapter_model.safetensors');
 * try { console.log(file.info('lora_A.weight').shape); } finally { await file.close(); }
 * ```
 */
export async function openSafetensorsFile(path: string): Promise<SafetensorsReader> {
  const source = await openFileSource(path);
  try {
    return await openSafetensors(source);
  } catch (error) {
    await source.close();
    throw error;
  }
}

/**
 * Reads a whole safetensors file (header, metadata, every tensor) with one read for the data section.
 *
 * @param path - the file's path
 * @returns header, metadata and tensors by name
 * @throws {SafetensorsError} any header validation code; IO_ERROR when the file cannot be read
 * @example
 * ```ts
 * const { metadata, tensors } = await readSafetensorsFile('adapter_model.safetensors');
 * ```
 */
export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  const reader = await openSafetensorsFile(path);
  try {
    return await readAllTensors(reader);
  } finally {
    await reader.close();
  }
}
