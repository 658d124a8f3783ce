/** @packageDocumentation ONNX models for PEFT adapters: protobuf read/write with external data, finding each PEFT module's weight in any export, merging deltas into initializers, and injecting adapter branches fed at run time. */

export { injectAdapterBranches } from './dynamic/inject-adapter-branches.js';
export type {
  AdapterBranch,
  AdapterBranchInputs,
  AdapterBranchKind,
  AdapterBranchTarget,
  AdapterRows,
  BranchWeight,
  InjectAdapterBranchesOptions,
  InjectedAdapterBranches,
} from './dynamic/types.js';
export { isOnnxError, OnnxError, type OnnxErrorCode, type OnnxErrorOptions } from './errors.js';
export {
  type CreateModelOptions,
  createGraph,
  createModel,
  createNode,
  createTensor,
  createValueInfo,
  DEFAULT_IR_VERSION,
  DEFAULT_OPSET,
  floatAttribute,
  floatsAttribute,
  getAttribute,
  getIntAttribute,
  graphAttribute,
  intAttribute,
  intsAttribute,
  type NodeSpec,
  stringAttribute,
  type TensorBytes,
  tensorAttribute,
} from './graph/builders.js';
export {
  type AddNodeOptions,
  GraphEditor,
} from './graph/graph-editor.js';
export {
  type GraphScope,
  type InitializerRef,
  ModelIndex,
  type ValueProducer,
  type ValueUse,
} from './graph/model-index.js';
export type {
  BaseWeight,
  BaseWeightFn,
  BiasLocation,
  LocateRequest,
  LocateStrategy,
  WeightKind,
  WeightLayout,
  WeightLocation,
  WeightLocatorOptions,
  WeightOp,
  WeightUse,
} from './locate/types.js';
export { WeightLocator } from './locate/weight-locator.js';
export {
  type BiasMergeFn,
  type MergeContext,
  type MergedModule,
  type MergeIntoModelOptions,
  type MergeTarget,
  mergeIntoModel,
  type WeightMergeFn,
} from './merge/merge-into-model.js';
export {
  decodeModel,
  type EncodeModelOptions,
  encodeModel,
  encodeModelChunks,
  MAX_PROTO_BYTES,
} from './model/codec.js';
export { dataTypeBits, dataTypeName, elementCount, tensorByteLength } from './model/data-type.js';
export {
  checkExternalLocation,
  EXTERNAL_LOCATION,
  type ExternalDataFile,
  type ExternalDataInfo,
  type ExternalDataSource,
  externalDataFromFiles,
  getExternalDataInfo,
  isExternalTensor,
} from './model/external-data.js';
export { inlineTensorData, readTensorData, readTensorFloat32, setTensorData } from './model/tensor-data.js';
export {
  type AttributeProto,
  AttributeType,
  DataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type OperatorSetId,
  type StringStringEntry,
  type TensorProto,
  type TensorShapeDimension,
  type TensorShapeProto,
  type TensorTypeProto,
  type TypeProto,
  type ValueInfoProto,
} from './model/types.js';
export {
  DEFAULT_EXTERNAL_ALIGN,
  DEFAULT_EXTERNAL_THRESHOLD,
  type ExternalDataEntry,
  type ExternalDataLayout,
  type ExternalDataPlan,
  planExternalData,
  type WriteModelOptions,
  type WrittenModel,
  writeModel,
} from './model/write-model.js';
