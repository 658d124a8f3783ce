/** @packageDocumentation Node entry of `@peftjs/safetensors`: everything in the main entry plus file I/O. */

export * from './index.js';
export { type FileByteSource, openFileSource } from './node/file-source.js';
export { openSafetensorsFile, readSafetensorsFile } from './node/open-safetensors-file.js';
export { type WriteSafetensorsFileOptions, writeSafetensorsFile } from './node/write-safetensors-file.js';
