import { OnnxError } from '../errors.js';
import type { TensorProto } from './types.js';

/** `TensorProto.DataLocation.EXTERNAL`. */
export const EXTERNAL_LOCATION = 1;

/**
 * Where external tensor data is read from: `read(location, offset, length)` returns the bytes of the file
 * named by a tensor's `location` entry (relative to the model's folder). In-memory files
 * ({@link externalDataFromFiles}), a folder on disk (`openExternalData` in `@peftjs/onnx/node`) or anything
 * else (HTTP ranges, a cache) can implement it.
 */
export interface ExternalDataSource {
  /**
   * Reads `length` bytes at `offset` of the file `location`.
   *
   * @throws {OnnxError} `EXTERNAL_DATA_MISSING` for an unknown file, `EXTERNAL_DATA_OUT_OF_RANGE` past its end
   */
  read(location: string, offset: number, length: number): Promise<Uint8Array>;
}

/**
 * An external data file in memory, shaped as onnxruntime's `SessionOptions.externalData` entries
 * (`path` must equal the tensors' `location`).
 */
export interface ExternalDataFile {
  path: string;
  data: Uint8Array;
}

/** A tensor's external data reference, parsed from its `external_data` entries. */
export interface ExternalDataInfo {
  /** The file, relative to the model's folder, as written in the model. */
  location: string;
  /** Byte offset in the file (0 when absent). */
  offset: number;
  /** Byte length (undefined when absent: up to the end of the file). */
  length?: number;
  /** The SHA-1 `checksum` entry, if any (not verified). */
  checksum?: string;
}

const DIGITS = /^\d+$/;

function parseInteger(tensor: TensorProto, key: string, value: string): number {
  const n = DIGITS.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new OnnxError(
      'INVALID_EXTERNAL_DATA',
      `Tensor "${tensor.name}" has an invalid external_data ${key}: "${value}" is not a non-negative integer.`,
      { value },
    );
  }
  return n;
}

/**
 * Checks an external data location as onnx's `ExternalData.md` requires: relative, without `..` components.
 *
 * @param location - the `location` entry
 * @param tensorName - for the message
 * @returns the location unchanged
 * @throws {OnnxError} `INVALID_EXTERNAL_DATA` for an empty, absolute or escaping location
 */
export function checkExternalLocation(location: string, tensorName = ''): string {
  const parts = location.split(/[\\/]/);
  const absolute = location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location);
  if (location === '' || absolute || parts.includes('..') || location.includes('\0')) {
    throw new OnnxError(
      'INVALID_EXTERNAL_DATA',
      `Tensor "${tensorName}" has an unsafe external_data location "${location}": it must be a relative path without "..".`,
      { value: location },
    );
  }
  return location;
}

/**
 * Whether a tensor's data lives in an external file (`data_location` EXTERNAL).
 *
 * @param tensor - the tensor
 * @returns true for external tensors
 */
export function isExternalTensor(tensor: TensorProto): boolean {
  return tensor.dataLocation === EXTERNAL_LOCATION;
}

/**
 * Parses a tensor's `external_data` entries (`location`, `offset`, `length` — integers stored as strings —
 * and `checksum`).
 *
 * @param tensor - the tensor
 * @returns the reference, or undefined for a tensor whose data is inline
 * @throws {OnnxError} `INVALID_EXTERNAL_DATA` when `location` is missing or unsafe, or offset/length are not integers
 */
export function getExternalDataInfo(tensor: TensorProto): ExternalDataInfo | undefined {
  if (!isExternalTensor(tensor)) return undefined;
  let location: string | undefined;
  let offset = 0;
  let length: number | undefined;
  let checksum: string | undefined;
  for (const { key, value } of tensor.externalData) {
    if (key === 'location') location = value;
    else if (key === 'offset') offset = parseInteger(tensor, key, value);
    else if (key === 'length') length = parseInteger(tensor, key, value);
    else if (key === 'checksum') checksum = value;
  }
  if (location === undefined) {
    throw new OnnxError(
      'INVALID_EXTERNAL_DATA',
      `Tensor "${tensor.name}" is external but has no location entry.`,
      {
        value: tensor.name,
      },
    );
  }
  checkExternalLocation(location, tensor.name);
  return {
    location,
    offset,
    ...(length === undefined ? {} : { length }),
    ...(checksum === undefined ? {} : { checksum }),
  };
}

function normalize(location: string): string {
  return location.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/**
 * An {@link ExternalDataSource} over files held in memory — what onnxruntime-web / -node take as
 * `externalData`. Reads return views (no copies).
 *
 * @param files - `{ path, data }` entries, or a map / record from location to bytes
 * @returns the source, with its `files` map
 * @example
 * ```ts
 * const source = externalDataFromFiles([{ path: 'model.onnx.data', data: bytes }]);
 * const weights = await readTensorData(model.graph.initializer[0], source);
 * ```
 */
export function externalDataFromFiles(
  files: Iterable<ExternalDataFile> | ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
): ExternalDataSource & { readonly files: ReadonlyMap<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  if (files instanceof Map) for (const [path, data] of files) map.set(normalize(path), data);
  else if (Symbol.iterator in files) {
    for (const { path, data } of files as Iterable<ExternalDataFile>) map.set(normalize(path), data);
  } else for (const [path, data] of Object.entries(files)) map.set(normalize(path), data);
  return {
    files: map,
    read(location, offset, length) {
      const data = map.get(normalize(location));
      if (!data) {
        const known = [...map.keys()].map((k) => `"${k}"`).join(', ') || 'none';
        return Promise.reject(
          new OnnxError(
            'EXTERNAL_DATA_MISSING',
            `External data file "${location}" was not given (files: ${known}).`,
            { value: location },
          ),
        );
      }
      if (offset + length > data.length) {
        return Promise.reject(
          new OnnxError(
            'EXTERNAL_DATA_OUT_OF_RANGE',
            `External data range [${offset}, ${offset + length}) is past the end of "${location}" (${data.length} bytes).`,
            { value: { location, offset, length } },
          ),
        );
      }
      return Promise.resolve(data.subarray(offset, offset + length));
    },
  };
}
