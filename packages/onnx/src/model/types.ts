/**
 * The ONNX messages as plain objects. Only what graph surgery needs is decoded; every other field of the
 * protobuf (doc strings, functions, training info, a tensor's typed data arrays, …) is kept as raw wire bytes
 * and written back unchanged, in its original place.
 */

/** `StringStringEntryProto`: one key/value pair (metadata, external data). */
export interface StringStringEntry {
  key: string;
  value: string;
}

/** `OperatorSetIdProto`: an imported opset (`domain` `''` is the default ONNX domain). */
export interface OperatorSetId {
  domain: string;
  version: number;
}

/** `TensorShapeProto.Dimension`: a fixed size (`dimValue`) or a symbolic one (`dimParam`), or neither. */
export interface TensorShapeDimension {
  dimValue?: number;
  dimParam?: string;
}

/** `TensorShapeProto`. */
export interface TensorShapeProto {
  dim: TensorShapeDimension[];
}

/** `TypeProto.Tensor`: element type (a {@link DataType} code) and an optional shape. */
export interface TensorTypeProto {
  elemType: number;
  shape?: TensorShapeProto;
}

/** `TypeProto`: only tensor types are decoded (sequence, map, optional and opaque types are kept as bytes). */
export interface TypeProto {
  tensorType?: TensorTypeProto;
}

/** `ValueInfoProto`: a graph input, output or annotated intermediate value. */
export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  metadataProps: StringStringEntry[];
}

/**
 * `TensorProto`. The data is in `rawData` (a view into the decoded bytes), in an external file
 * (`dataLocation` 1 and `externalData` entries `location`/`offset`/`length`), or in the typed arrays
 * (`float_data`, `int32_data`, …), which are not decoded here: read any of them with `readTensorData`.
 */
export interface TensorProto {
  name: string;
  dims: number[];
  /** A {@link DataType} code. */
  dataType: number;
  rawData?: Uint8Array;
  /** 0 (DEFAULT) or 1 (EXTERNAL). */
  dataLocation?: number;
  externalData: StringStringEntry[];
  metadataProps: StringStringEntry[];
}

/** `AttributeProto`: `type` (an {@link AttributeType} code) says which of the value fields is used. */
export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: bigint;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
}

/** `NodeProto`. */
export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: AttributeProto[];
  metadataProps: StringStringEntry[];
}

/** `GraphProto`: nodes in topological order, initializers, inputs, outputs and value annotations. */
export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  metadataProps: StringStringEntry[];
}

/** `ModelProto`. */
export interface ModelProto {
  irVersion: number;
  opsetImport: OperatorSetId[];
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
  metadataProps: StringStringEntry[];
}

/** `TensorProto.DataType` codes. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
  FLOAT6E2M3: 27,
  FLOAT6E3M2: 28,
} as const;

/** `AttributeProto.AttributeType` codes. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;
