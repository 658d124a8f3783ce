import {
  AdapterError,
  type Backend,
  type BackendSession,
  type BackendTensor,
  type TensorData,
  type TensorMap,
  type TensorType,
} from '@peftjs/runtime';
import * as ort from 'onnxruntime-node';

/** Options of {@link onnxruntimeNodeBackend}. */
export interface OnnxruntimeNodeBackendOptions {
  /** Threads one operator may use (`intraOpNumThreads`). @defaultValue onnxruntime's default (one per core) */
  readonly threads?: number;
  /** onnxruntime's graph optimizations. @defaultValue 'all' */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/**
 * The {@link Backend} over onnxruntime-node (CPU): what `createAdapterSession` runs models with.
 *
 * @param options - `threads`, `graphOptimizationLevel`
 * @returns the backend
 * @example
 * ```js
 * const session = await AdapterSession.create({ backend: onnxruntimeNodeBackend({ threads: 4 }), model });
 * ```
 */
export function onnxruntimeNodeBackend(options: OnnxruntimeNodeBackendOptions = {}): Backend {
  if (options.threads !== undefined && !(Number.isSafeInteger(options.threads) && options.threads >= 1)) {
    throw new AdapterError('INVALID_ARGUMENT', `threads must be an integer >= 1, got ${options.threads}`);
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
  };
  return {
    name: 'onnxruntime-node',
    async createSession(model, { externalData }) {
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(model, {
          ...sessionOptions,
          ...(externalData === undefined || externalData.length === 0
            ? {}
            : { externalData: externalData.map((f) => ({ path: f.path, data: f.data })) }),
        });
      } catch (cause) {
        throw new AdapterError(
          'BACKEND_FAILED',
          `onnxruntime-node could not load the model: ${message(cause)}`,
          {
            cause,
          },
        );
      }
      return wrapSession(session);
    },
    tensor(type: TensorType, data: TensorData, dims: readonly number[]): BackendTensor {
      return new ort.Tensor(type, data as ort.Tensor.DataType, dims);
    },
  };
}

function wrapSession(session: ort.InferenceSession): BackendSession {
  let released = false;
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds: TensorMap): Promise<TensorMap> {
      if (released) throw new AdapterError('SESSION_CLOSED', 'the onnxruntime-node session was released');
      try {
        return (await session.run(feeds as ort.InferenceSession.FeedsType)) as TensorMap;
      } catch (cause) {
        throw new AdapterError(
          'BACKEND_FAILED',
          `onnxruntime-node failed to run the model: ${message(cause)}`,
          {
            cause,
          },
        );
      }
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
