/** @packageDocumentation Node entry of `@peftjs/onnx`: everything in the main entry plus loading and saving models on disk. */

export * from './index.js';
export {
  type FileExternalDataSource,
  openExternalData,
  readExternalDataFiles,
} from './node/external-files.js';
export {
  type LoadedModel,
  type LoadModelOptions,
  loadModel,
  type SaveModelOptions,
  saveModel,
} from './node/model-files.js';
