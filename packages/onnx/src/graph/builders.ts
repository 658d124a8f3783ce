import { OnnxError } from '../errors.js';
import { tensorByteLength } from '../model/data-type.js';
import {
  type AttributeProto,
  AttributeType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type OperatorSetId,
  type TensorProto,
  type TensorShapeDimension,
  type ValueInfoProto,
} from '../model/types.js';

/** The ONNX IR version new models get (IR 10: ONNX 1.16+, onnxruntime 1.17+). */
export const DEFAULT_IR_VERSION = 10;
/** The default-domain opset new models import. */
export const DEFAULT_OPSET = 17;

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  graph?: GraphProto;
  irVersion?: number;
  opsetImport?: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
}

/**
 * A new model (IR 10, default opset 17 unless given).
 *
 * @param options - graph, versions and producer
 * @returns the model
 * @example
 * ```ts
 * const model = createModel({ graph: createGraph('tiny') });
 * ```
 */
export function createModel(options: CreateModelOptions = {}): ModelProto {
  return {
    irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
    opsetImport: options.opsetImport ?? [{ domain: '', version: DEFAULT_OPSET }],
    producerName: options.producerName ?? '@peftjs/onnx',
    producerVersion: options.producerVersion ?? '',
    graph: options.graph ?? createGraph(''),
    metadataProps: [],
  };
}

/**
 * A new empty graph.
 *
 * @param name - the graph's name
 * @returns the graph
 */
export function createGraph(name: string): GraphProto {
  return { node: [], name, initializer: [], input: [], output: [], valueInfo: [], metadataProps: [] };
}

/**
 * A `ValueInfoProto` for a tensor value.
 *
 * @param name - the value's name
 * @param elemType - a `DataType` code
 * @param shape - dims: numbers are fixed sizes, strings symbolic, `undefined` unknown; omit for an unknown rank
 * @returns the value info
 */
export function createValueInfo(
  name: string,
  elemType: number,
  shape?: readonly (number | string | undefined)[],
): ValueInfoProto {
  const dim = shape?.map((d): TensorShapeDimension => {
    if (typeof d === 'number') return { dimValue: d };
    if (typeof d === 'string') return { dimParam: d };
    return {};
  });
  return {
    name,
    type: { tensorType: dim ? { elemType, shape: { dim } } : { elemType } },
    metadataProps: [],
  };
}

/** A typed array or raw little-endian bytes. */
export type TensorBytes = Uint8Array | ArrayBufferView;

/**
 * A tensor with its data inline in `raw_data` (the bytes are viewed, not copied).
 *
 * @param name - the tensor's name
 * @param dataType - a `DataType` code
 * @param dims - the dims
 * @param data - values as a typed array of the data type's layout (e.g. `Float32Array` for FLOAT), or raw bytes
 * @returns the tensor
 * @throws {OnnxError} `TENSOR_SIZE_MISMATCH` when the data's byte length does not fit the dims
 */
export function createTensor(
  name: string,
  dataType: number,
  dims: readonly number[],
  data: TensorBytes,
): TensorProto {
  const bytes =
    data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const want = tensorByteLength(dataType, dims);
  if (bytes.length !== want) {
    throw new OnnxError(
      'TENSOR_SIZE_MISMATCH',
      `Tensor "${name}" [${dims.join(', ')}] needs ${want} bytes of data; got ${bytes.length}.`,
      { value: bytes.length },
    );
  }
  return { name, dims: [...dims], dataType, rawData: bytes, externalData: [], metadataProps: [] };
}

/** What {@link createNode} takes. */
export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: readonly AttributeProto[];
}

/**
 * A new node.
 *
 * @param spec - op type, inputs, outputs, and optionally name, domain and attributes
 * @returns the node
 */
export function createNode(spec: NodeSpec): NodeProto {
  return {
    input: [...spec.inputs],
    output: [...spec.outputs],
    name: spec.name ?? '',
    opType: spec.opType,
    domain: spec.domain ?? '',
    attribute: [...(spec.attributes ?? [])],
    metadataProps: [],
  };
}

function attribute(name: string, type: number, fields: Partial<AttributeProto>): AttributeProto {
  return { name, type, floats: [], ints: [], strings: [], tensors: [], graphs: [], ...fields };
}

/** An INT attribute. @param name - attribute name @param value - the integer @returns the attribute */
export function intAttribute(name: string, value: number | bigint): AttributeProto {
  return attribute(name, AttributeType.INT, { i: BigInt(value) });
}

/** A FLOAT attribute. @param name - attribute name @param value - the number @returns the attribute */
export function floatAttribute(name: string, value: number): AttributeProto {
  return attribute(name, AttributeType.FLOAT, { f: value });
}

/** A STRING attribute (UTF-8). @param name - attribute name @param value - the string @returns the attribute */
export function stringAttribute(name: string, value: string): AttributeProto {
  return attribute(name, AttributeType.STRING, { s: new TextEncoder().encode(value) });
}

/** An INTS attribute. @param name - attribute name @param values - the integers @returns the attribute */
export function intsAttribute(name: string, values: readonly (number | bigint)[]): AttributeProto {
  return attribute(name, AttributeType.INTS, { ints: values.map((v) => BigInt(v)) });
}

/** A FLOATS attribute. @param name - attribute name @param values - the numbers @returns the attribute */
export function floatsAttribute(name: string, values: readonly number[]): AttributeProto {
  return attribute(name, AttributeType.FLOATS, { floats: [...values] });
}

/** A TENSOR attribute (e.g. `Constant`'s `value`). @param name - attribute name @param value - the tensor @returns the attribute */
export function tensorAttribute(name: string, value: TensorProto): AttributeProto {
  return attribute(name, AttributeType.TENSOR, { t: value });
}

/** A GRAPH attribute (an `If` branch, a `Loop` body). @param name - attribute name @param value - the graph @returns the attribute */
export function graphAttribute(name: string, value: GraphProto): AttributeProto {
  return attribute(name, AttributeType.GRAPH, { g: value });
}

/**
 * A node's attribute by name.
 *
 * @param node - the node
 * @param name - the attribute's name
 * @returns the attribute, or undefined
 */
export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

/**
 * An INT attribute's value as a number, or `fallback` when the node does not have it.
 *
 * @param node - the node
 * @param name - the attribute's name
 * @param fallback - the ONNX default
 * @returns the value
 */
export function getIntAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = getAttribute(node, name);
  return a?.i === undefined ? fallback : Number(a.i);
}
