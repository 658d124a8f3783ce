import { DataType, type ModelProto } from '@peftjs/onnx';
import { AdapterError } from '../errors.js';
import type { Backend, BackendTensor, TensorData, TensorMap, TensorType } from './backend.js';

/**
 * The inputs a caller feeds: the graph's inputs that are not initializers (models of IR < 4 list initializers
 * as inputs too). @internal
 */
export function inputNamesOf(model: ModelProto): string[] {
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  return model.graph.input.map((i) => i.name).filter((n) => !initializers.has(n));
}

/** A graph input's element type and shape (a dimension is a size, a symbolic name, or undefined when unknown). */
export interface InputMetadata {
  readonly name: string;
  /** onnxruntime's type name (`'float32'`, `'int64'`, …), or `'unknown'`. */
  readonly type: TensorType | 'bfloat16' | 'unknown';
  readonly dims: readonly (number | string | undefined)[] | undefined;
}

const TYPE_NAMES: Readonly<Record<number, InputMetadata['type']>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.BFLOAT16]: 'bfloat16',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.INT16]: 'int16',
  [DataType.UINT16]: 'uint16',
  [DataType.INT32]: 'int32',
  [DataType.UINT32]: 'uint32',
  [DataType.INT64]: 'int64',
  [DataType.UINT64]: 'uint64',
  [DataType.BOOL]: 'bool',
};

/** Types and shapes of the inputs a caller feeds, in graph order. @internal */
export function inputMetadataOf(model: ModelProto): InputMetadata[] {
  const names = new Set(inputNamesOf(model));
  return model.graph.input
    .filter((i) => names.has(i.name))
    .map((i) => {
      const tensor = i.type?.tensorType;
      return {
        name: i.name,
        type: (tensor === undefined ? undefined : TYPE_NAMES[tensor.elemType]) ?? 'unknown',
        dims: tensor?.shape?.dim.map((d) => d.dimValue ?? d.dimParam),
      };
    });
}

/**
 * Checks a run's feeds against the model's inputs and hands each to the backend as its own tensor type.
 *
 * @throws {AdapterError} `INVALID_ARGUMENT` for a missing input, an unknown feed or a malformed tensor
 * @internal
 */
export function normalizeFeeds(
  feeds: Readonly<Record<string, BackendTensor>>,
  inputs: readonly string[],
  backend: Backend,
): TensorMap {
  const known = new Set(inputs);
  const unknown = Object.keys(feeds).filter((n) => !known.has(n));
  const missing = inputs.filter((n) => !(n in feeds));
  if (unknown.length > 0 || missing.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
      ...(unknown.length > 0 ? [`unknown ${unknown.join(', ')}`] : []),
    ];
    throw new AdapterError(
      'INVALID_ARGUMENT',
      `the feeds do not match the model's inputs (${inputs.join(', ')}): ${parts.join('; ')}`,
    );
  }
  const out: TensorMap = {};
  for (const name of inputs) {
    const t = feeds[name] as BackendTensor;
    if (t === null || typeof t !== 'object' || !Array.isArray(t.dims) || !ArrayBuffer.isView(t.data)) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `feed ${name} must be a tensor { type, data (typed array), dims }, got ${typeof t}`,
      );
    }
    out[name] = backend.tensor(t.type as TensorType, t.data as TensorData, t.dims);
  }
  return out;
}
