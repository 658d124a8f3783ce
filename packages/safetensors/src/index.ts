/** @packageDocumentation safetensors read/write for Node and the browser: strict validation, every dtype. */

export {
  type ByteSource,
  blobSource,
  bytesSource,
  type SafetensorsInput,
  toByteSource,
} from './byte-source.js';
export {
  DTYPE_NAMES,
  DTYPES,
  type Dtype,
  type DtypeInfo,
  type DtypeKind,
  isDtype,
  type TypedArray,
  type TypedArrayConstructor,
} from './dtype.js';
export {
  isSafetensorsError,
  SafetensorsError,
  type SafetensorsErrorCode,
  type SafetensorsErrorOptions,
} from './errors.js';
export {
  openSafetensors,
  readSafetensors,
  type SafetensorsContents,
  type SafetensorsReader,
  type Tensor,
} from './open-safetensors.js';
export {
  HEADER_PREFIX_BYTES,
  MAX_HEADER_BYTES,
  type ParseHeaderOptions,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  type TensorInfo,
} from './parse-header.js';
export {
  type SerializeOptions,
  serializeSafetensors,
  type TensorEntries,
  type TensorInput,
} from './serialize-safetensors.js';
export {
  type LazyTensorData,
  type LazyTensorEntries,
  type LazyTensorInput,
  serializeSafetensorsStream,
  type TensorChunks,
} from './serialize-stream.js';
export { elementCountOf, type TensorBytes, toFloat32 } from './to-float32.js';
export { toTypedArray } from './to-typed-array.js';
export {
  type ReadTorchCheckpointOptions,
  readTorchCheckpoint,
  type TorchTensor,
} from './torch/read-torch-checkpoint.js';
export type { TorchDtype } from './torch/torch-dtypes.js';
export { torchTensorToFloat32 } from './torch/torch-tensor-to-float32.js';
