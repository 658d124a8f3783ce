import {
  bytesCodec,
  floatCodec,
  int32Codec,
  int64BigCodec,
  int64NumberCodec,
  stringCodec,
} from '../proto/codecs.js';
import { message, messages, optional, repeated, scalar } from '../proto/fields.js';
import type { MessageSchema } from '../proto/message.js';
import type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetId,
  StringStringEntry,
  TensorProto,
  TensorShapeDimension,
  TensorShapeProto,
  TensorTypeProto,
  TypeProto,
  ValueInfoProto,
} from './types.js';

// Field numbers are those of onnx/onnx.proto (IR version 10+). Anything not listed stays raw wire bytes.

/** @internal */
export const entrySchema: MessageSchema<StringStringEntry> = {
  name: 'StringStringEntryProto',
  create: () => ({ key: '', value: '' }),
  fields: [scalar(1, 'key', stringCodec, ''), scalar(2, 'value', stringCodec, '')],
};

/** @internal */
export const opsetSchema: MessageSchema<OperatorSetId> = {
  name: 'OperatorSetIdProto',
  create: () => ({ domain: '', version: 0 }),
  fields: [scalar(1, 'domain', stringCodec, '', true), scalar(2, 'version', int64NumberCodec, 0, true)],
};

/** @internal */
export const dimensionSchema: MessageSchema<TensorShapeDimension> = {
  name: 'TensorShapeProto.Dimension',
  create: () => ({}),
  fields: [optional(1, 'dimValue', int64NumberCodec), optional(2, 'dimParam', stringCodec)],
};

/** @internal */
export const shapeSchema: MessageSchema<TensorShapeProto> = {
  name: 'TensorShapeProto',
  create: () => ({ dim: [] }),
  fields: [messages(1, 'dim', () => dimensionSchema)],
};

/** @internal */
export const tensorTypeSchema: MessageSchema<TensorTypeProto> = {
  name: 'TypeProto.Tensor',
  create: () => ({ elemType: 0 }),
  fields: [scalar(1, 'elemType', int32Codec, 0), message(2, 'shape', () => shapeSchema)],
};

/** @internal */
export const typeSchema: MessageSchema<TypeProto> = {
  name: 'TypeProto',
  create: () => ({}),
  fields: [message(1, 'tensorType', () => tensorTypeSchema)],
};

/** @internal */
export const valueInfoSchema: MessageSchema<ValueInfoProto> = {
  name: 'ValueInfoProto',
  create: () => ({ name: '', metadataProps: [] }),
  fields: [
    scalar(1, 'name', stringCodec, ''),
    message(2, 'type', () => typeSchema),
    messages(4, 'metadataProps', () => entrySchema),
  ],
};

/** Field numbers of a tensor's typed data arrays (float_data, int32_data, string_data, int64_data, double_data, uint64_data). @internal */
export const TYPED_DATA_FIELDS: readonly number[] = [4, 5, 6, 7, 10, 11];

/** @internal */
export const tensorSchema: MessageSchema<TensorProto> = {
  name: 'TensorProto',
  create: () => ({ name: '', dims: [], dataType: 0, externalData: [], metadataProps: [] }),
  fields: [
    repeated(1, 'dims', int64NumberCodec),
    scalar(2, 'dataType', int32Codec, 0),
    scalar(8, 'name', stringCodec, ''),
    optional(9, 'rawData', bytesCodec),
    messages(13, 'externalData', () => entrySchema),
    optional(14, 'dataLocation', int32Codec),
    messages(16, 'metadataProps', () => entrySchema),
  ],
};

/** @internal */
export const attributeSchema: MessageSchema<AttributeProto> = {
  name: 'AttributeProto',
  create: () => ({ name: '', type: 0, floats: [], ints: [], strings: [], tensors: [], graphs: [] }),
  fields: [
    scalar(1, 'name', stringCodec, ''),
    optional(2, 'f', floatCodec),
    optional(3, 'i', int64BigCodec),
    optional(4, 's', bytesCodec),
    message(5, 't', () => tensorSchema),
    message(6, 'g', () => graphSchema),
    repeated(7, 'floats', floatCodec),
    repeated(8, 'ints', int64BigCodec),
    repeated(9, 'strings', bytesCodec),
    messages(10, 'tensors', () => tensorSchema),
    messages(11, 'graphs', () => graphSchema),
    scalar(20, 'type', int32Codec, 0),
  ],
};

/** @internal */
export const nodeSchema: MessageSchema<NodeProto> = {
  name: 'NodeProto',
  create: () => ({
    input: [],
    output: [],
    name: '',
    opType: '',
    domain: '',
    attribute: [],
    metadataProps: [],
  }),
  fields: [
    repeated(1, 'input', stringCodec),
    repeated(2, 'output', stringCodec),
    scalar(3, 'name', stringCodec, ''),
    scalar(4, 'opType', stringCodec, ''),
    messages(5, 'attribute', () => attributeSchema),
    scalar(7, 'domain', stringCodec, ''),
    messages(9, 'metadataProps', () => entrySchema),
  ],
};

/** @internal */
export const graphSchema: MessageSchema<GraphProto> = {
  name: 'GraphProto',
  create: () => ({
    node: [],
    name: '',
    initializer: [],
    input: [],
    output: [],
    valueInfo: [],
    metadataProps: [],
  }),
  fields: [
    messages(1, 'node', () => nodeSchema),
    scalar(2, 'name', stringCodec, ''),
    messages(5, 'initializer', () => tensorSchema),
    messages(11, 'input', () => valueInfoSchema),
    messages(12, 'output', () => valueInfoSchema),
    messages(13, 'valueInfo', () => valueInfoSchema),
    messages(16, 'metadataProps', () => entrySchema),
  ],
};

/** @internal */
export const modelSchema: MessageSchema<ModelProto> = {
  name: 'ModelProto',
  create: () => ({
    irVersion: 0,
    opsetImport: [],
    producerName: '',
    producerVersion: '',
    graph: undefined as unknown as GraphProto,
    metadataProps: [],
  }),
  fields: [
    scalar(1, 'irVersion', int64NumberCodec, 0),
    scalar(2, 'producerName', stringCodec, ''),
    scalar(3, 'producerVersion', stringCodec, ''),
    message(7, 'graph', () => graphSchema),
    messages(8, 'opsetImport', () => opsetSchema),
    messages(14, 'metadataProps', () => entrySchema),
  ],
};
