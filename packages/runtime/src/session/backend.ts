import type { ExternalDataFile } from '@peftjs/onnx';

export type { ExternalDataFile } from '@peftjs/onnx';

/**
 * Element types a backend tensor can have: onnxruntime's names (`Tensor.Type`), the ones ONNX models feed and
 * return on CPU.
 */
export type TensorType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/** The typed arrays backend tensors hold (float16 as `Uint16Array` bits, bool as `Uint8Array`). */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor as a backend holds it, in CPU memory. onnxruntime's `Tensor` (node and web) has this shape, so its
 * tensors pass through unchanged.
 */
export interface BackendTensor {
  /** Element type. */
  readonly type: string;
  /** Dimensions, outermost first. */
  readonly dims: readonly number[];
  /** The values, row-major (float16 as `Uint16Array` bits; string tensors as `string[]`). */
  readonly data: TensorData | readonly string[];
}

/** Named tensors: a run's feeds or its outputs. */
export type TensorMap = Record<string, BackendTensor>;

/** Options of {@link Backend.createSession}. */
export interface BackendSessionOptions {
  /** The model's external data files, when its tensors live outside the `.onnx` bytes. */
  readonly externalData?: readonly ExternalDataFile[];
}

/** One loaded model in a backend (an onnxruntime `InferenceSession`). */
export interface BackendSession {
  /** The model's input names, in graph order. */
  readonly inputNames: readonly string[];
  /** The model's output names, in graph order. */
  readonly outputNames: readonly string[];
  /**
   * Runs the model once.
   *
   * @param feeds - one tensor per input name
   * @returns one tensor per output name
   */
  run(feeds: TensorMap): Promise<TensorMap>;
  /** Frees the model (safe to call twice). */
  release(): Promise<void>;
}

/**
 * What `AdapterSession` runs models with, injected by the platform: `@peftjs/runtime-node` supplies one over
 * onnxruntime-node (`onnxruntimeNodeBackend()`), a browser build one over onnxruntime-web.
 *
 * @example
 * ```ts
 * const backend: Backend = {
 *   createSession: async (model, { externalData }) => wrap(await ort.InferenceSession.create(model, { externalData })),
 *   tensor: (type, data, dims) => new ort.Tensor(type, data, dims),
 * };
 * ```
 */
export interface Backend {
  /** A short label for messages (`'onnxruntime-node'`). */
  readonly name: string;
  /**
   * Loads a model.
   *
   * @param model - the `.onnx` bytes
   * @param options - `externalData`: the files its external tensors live in
   * @returns the session; release it when done
   */
  createSession(model: Uint8Array, options: BackendSessionOptions): Promise<BackendSession>;
  /**
   * Makes a tensor the backend can be fed.
   *
   * @param type - element type
   * @param data - values, row-major (float16 as `Uint16Array` bits)
   * @param dims - dimensions
   * @returns the tensor
   */
  tensor(type: TensorType, data: TensorData, dims: readonly number[]): BackendTensor;
}
