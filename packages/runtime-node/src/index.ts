/** @packageDocumentation peftjs for Node: files, worker threads and onnxruntime-node plugged into @peftjs/runtime. */

export * from '@peftjs/runtime';
export {
  type CreateAdapterSessionOptions,
  createAdapterSession,
  readOnnxModel,
} from './create-adapter-session.js';
export {
  createDirectoryWriter,
  type DirectoryWriter,
  type DirectoryWriterOptions,
} from './directory-writer.js';
export { loadAdapter, openBaseCheckpoint, type SaveAdapterOptions, saveAdapter } from './load-adapter.js';
export { type LoadCausalLMOptions, loadCausalLM } from './load-causal-lm.js';
export { type MergeToDirectoryOptions, mergeAdapterToDirectory } from './merge-adapter-to-directory.js';
export {
  type MergeToOnnxOptions,
  type MergeToOnnxResult,
  mergeAdapterToOnnx,
  type SavedOnnxModel,
  type SaveOnnxModelOptions,
  saveOnnxModel,
} from './merge-adapter-to-onnx.js';
export { nodeFiles, SHARED_READ_BYTES, sharedBytes } from './node-files.js';
export { type OnnxruntimeNodeBackendOptions, onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
export {
  readTensorFile,
  type WriteTensorFileOptions,
  writeFloat32TensorFile,
} from './tensor-files.js';
