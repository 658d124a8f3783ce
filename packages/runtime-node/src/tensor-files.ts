import { stat } from 'node:fs/promises';
import {
  AdapterError,
  type AdapterErrorCode,
  type Backend,
  type BackendTensor,
  isAdapterError,
  type TensorData,
  type TensorType,
  tensorToFloat32,
} from '@peftjs/runtime';
import { type Dtype, toTypedArray } from '@peftjs/safetensors';
import { openSafetensorsFile, writeSafetensorsFile } from '@peftjs/safetensors/node';

/** Re-throws `error` as an AdapterError with `code` (AdapterErrors pass through). */
function wrapAdapterError(error: unknown, code: AdapterErrorCode, what: string): AdapterError {
  if (isAdapterError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AdapterError(code, `${what}: ${message}`, { cause: error });
}

/** safetensors dtypes that have an ONNX Runtime tensor type, and that type. */
const ORT_TYPES: Partial<Record<Dtype, TensorType>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  I64: 'int64',
  U64: 'uint64',
  I32: 'int32',
  U32: 'uint32',
  I16: 'int16',
  U16: 'uint16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/**
 * Reads a safetensors file as backend tensors, one per name (I64 → int64, F32 → float32, F16 → float16, BOOL → bool,
 * …): the feeds of `AdapterSession.run`.
 *
 * @param path - the file
 * @param backend - makes the tensors
 * @returns tensors by name
 * @throws {AdapterError} `MISSING_FILE`, `INVALID_FILE` (not safetensors, or a dtype ONNX Runtime cannot take)
 * @example
 * ```js
 * const feeds = await readTensorFile('inputs.safetensors', session.backend);
 * ```
 */
export async function readTensorFile(path: string, backend: Backend): Promise<Record<string, BackendTensor>> {
  let reader: Awaited<ReturnType<typeof openSafetensorsFile>>;
  try {
    reader = await openSafetensorsFile(path);
  } catch (error) {
    const missing = (error as { cause?: { code?: string } }).cause?.code === 'ENOENT';
    throw wrapAdapterError(
      error,
      missing ? 'MISSING_FILE' : 'INVALID_FILE',
      `cannot read tensors from ${path}`,
    );
  }
  try {
    const out: Record<string, BackendTensor> = {};
    for (const name of reader.tensorNames()) {
      const tensor = await reader.read(name);
      const type = ORT_TYPES[tensor.dtype];
      if (type === undefined) {
        throw new AdapterError(
          'INVALID_FILE',
          `${path}: tensor ${name} is ${tensor.dtype}, which ONNX Runtime cannot be fed (use F32, F16, F64, I64, I32, ` +
            'I16, I8, U64, U32, U16, U8 or BOOL)',
        );
      }
      const data =
        tensor.dtype === 'F16'
          ? new Uint16Array(tensor.data.slice().buffer)
          : (toTypedArray({ dtype: tensor.dtype, data: tensor.data.slice() }) as TensorData);
      out[name] = backend.tensor(type, data, tensor.shape);
    }
    return out;
  } finally {
    await reader.close();
  }
}

/** Options of {@link writeFloat32TensorFile}. */
export interface WriteTensorFileOptions {
  /** Replace the file if it exists. @defaultValue false */
  readonly overwrite?: boolean;
}

/**
 * Writes tensors (e.g. a run's outputs) as one float32 safetensors file, through a temporary file renamed into
 * place.
 *
 * @param path - the file
 * @param tensors - tensors by name (any numeric type; converted to float32)
 * @param options - `overwrite`
 * @throws {AdapterError} `OUTPUT_EXISTS`, `INVALID_ARGUMENT` (a string tensor), `IO_ERROR`
 * @example
 * ```js
 * await writeFloat32TensorFile('out.safetensors', await session.run(feeds));
 * ```
 */
export async function writeFloat32TensorFile(
  path: string,
  tensors: Readonly<Record<string, BackendTensor>>,
  options: WriteTensorFileOptions = {},
): Promise<void> {
  if (options.overwrite !== true && (await stat(path).catch(() => undefined)) !== undefined) {
    throw new AdapterError('OUTPUT_EXISTS', `${path} already exists (pass overwrite to replace it)`);
  }
  const entries = Object.entries(tensors).map(
    ([name, t]) => [name, { dtype: 'F32' as const, shape: [...t.dims], data: tensorToFloat32(t) }] as const,
  );
  try {
    await writeSafetensorsFile(path, entries);
  } catch (error) {
    throw wrapAdapterError(error, 'IO_ERROR', `writing ${path} failed`);
  }
}
