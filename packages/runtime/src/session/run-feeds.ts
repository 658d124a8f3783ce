import type { ModelProto } from '@peftjs/onnx';
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
