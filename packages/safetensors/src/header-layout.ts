import { DTYPES, type Dtype, isDtype } from './dtype.js';
import { SafetensorsError, show } from './errors.js';
import { HEADER_PREFIX_BYTES, MAX_HEADER_BYTES } from './parse-header.js';

/** What the writer needs to know about a tensor before its data. @internal */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
}

/** A tensor placed in the file: its spec, byte length and offsets. @internal */
export interface PlacedTensor<T extends TensorSpec> {
  readonly tensor: T;
  readonly byteLength: number;
  readonly begin: number;
}

/** The header bytes (prefix + padded JSON) and the tensors in the order their data follows. @internal */
export interface Layout<T extends TensorSpec> {
  readonly header: Uint8Array;
  readonly placed: PlacedTensor<T>[];
  readonly totalSize: number;
}

/**
 * Validates tensors and metadata and lays them out exactly as the Rust writer does: tensors sorted by
 * descending dtype rank, then by name (UTF-8 byte order); `__metadata__` first; compact JSON padded with
 * spaces to a multiple of 8 bytes. @internal
 */
export function layoutSafetensors<T extends TensorSpec>(
  tensors: readonly T[],
  metadata: Readonly<Record<string, string>> | undefined,
): Layout<T> {
  const names = new Set<string>();
  const sized = tensors.map((t) => {
    checkName(t.name, names);
    return { tensor: t, byteLength: byteLengthOf(t) };
  });
  sized.sort(
    (a, b) =>
      DTYPES[b.tensor.dtype].rank - DTYPES[a.tensor.dtype].rank ||
      compareCodePoints(a.tensor.name, b.tensor.name),
  );
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"__metadata__":${metadataJson(metadata)}`);
  let offset = 0;
  const placed: PlacedTensor<T>[] = [];
  for (const { tensor, byteLength } of sized) {
    const end = offset + byteLength;
    if (!Number.isSafeInteger(end)) {
      throw new SafetensorsError(
        'OVERFLOW',
        `the data section exceeds 2^53 - 1 bytes at ${show(tensor.name)}`,
      );
    }
    parts.push(
      `${JSON.stringify(tensor.name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],` +
        `"data_offsets":[${offset},${end}]}`,
    );
    placed.push({ tensor, byteLength, begin: offset });
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  if (n > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      'HEADER_TOO_LARGE',
      `the header would be ${n} bytes; the maximum is ${MAX_HEADER_BYTES}`,
    );
  }
  const header = new Uint8Array(HEADER_PREFIX_BYTES + n).fill(0x20, HEADER_PREFIX_BYTES + json.length);
  new DataView(header.buffer).setUint32(0, n, true);
  header.set(json, HEADER_PREFIX_BYTES);
  return { header, placed, totalSize: header.length + offset };
}

/**
 * Byte length of a tensor from its dtype and shape, with the Rust reference's checks.
 *
 * @throws {SafetensorsError} INVALID_DTYPE, INVALID_SHAPE, OVERFLOW or MISALIGNED_SLICE
 * @internal
 */
export function byteLengthOf(t: TensorSpec): number {
  if (!isDtype(t.dtype))
    throw new SafetensorsError('INVALID_DTYPE', `tensor ${show(t.name)}: unknown dtype ${show(t.dtype)}`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      'INVALID_SHAPE',
      `tensor ${show(t.name)}: shape must be an array of non-negative integers, got ${show(t.shape)}`,
    );
  }
  let elements = 1n;
  for (const d of t.shape) elements *= BigInt(d);
  const bits = elements * BigInt(DTYPES[t.dtype].bits);
  if (bits % 8n !== 0n) {
    throw new SafetensorsError(
      'MISALIGNED_SLICE',
      `tensor ${show(t.name)}: ${elements} ${t.dtype} elements take ${bits} bits, not a whole number of bytes`,
    );
  }
  const bytes = bits / 8n;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SafetensorsError(
      'OVERFLOW',
      `tensor ${show(t.name)}: shape [${t.shape.join(', ')}] of ${t.dtype} needs ${bytes} bytes, over 2^53 - 1`,
    );
  }
  return Number(bytes);
}

function checkName(name: unknown, seen: Set<string>): void {
  if (typeof name !== 'string') {
    throw new SafetensorsError('INVALID_HEADER', `tensor names must be strings, got ${show(name)}`);
  }
  checkWellFormed(name, 'tensor name');
  if (name === '__metadata__') {
    throw new SafetensorsError(
      'INVALID_HEADER',
      'a tensor cannot be named "__metadata__" (reserved for metadata)',
    );
  }
  if (seen.has(name)) throw new SafetensorsError('DUPLICATE_NAME', `two tensors are named ${show(name)}`);
  seen.add(name);
}

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new SafetensorsError(
      'INVALID_METADATA',
      `metadata must be an object of strings, got ${show(metadata)}`,
    );
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        'INVALID_METADATA',
        `metadata values must be strings; ${show(key)} is ${show(value)} (${typeof value})`,
      );
    }
    checkWellFormed(key, 'metadata key');
    checkWellFormed(value, `metadata value of ${show(key)}`);
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkWellFormed(text: string, what: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw new SafetensorsError(
      'INVALID_UTF8',
      `${what} ${show(text)} has a lone surrogate, so it is not valid UTF-8`,
    );
  }
}

/**
 * Compares strings by Unicode code point, which is the UTF-8 byte order Rust's `String` sorts by (plain `<`
 * compares UTF-16 code units, which differs for characters above U+FFFF against U+E000–U+FFFF). @internal
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (D800–DFFF) encode code points above FFFF: move them after E000–FFFF.
      const fx = x >= 0xd800 ? (x >= 0xe000 ? x - 0x800 : x + 0x2000) : x;
      const fy = y >= 0xd800 ? (y >= 0xe000 ? y - 0x800 : y + 0x2000) : y;
      return fx - fy;
    }
  }
  return a.length - b.length;
}
