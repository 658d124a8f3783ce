import { DTYPES, type Dtype } from './dtype.js';
import { SafetensorsError, show } from './errors.js';
import { parseHeaderJson, type RawTensorEntry, type U64 } from './parse-header-json.js';

/** Largest header the reader accepts and the writer produces, in bytes (the Rust reference's limit). */
export const MAX_HEADER_BYTES = 100_000_000; // 100 MB

/** Size of the little-endian u64 header-length prefix, in bytes. */
export const HEADER_PREFIX_BYTES = 8;

/** Where and what one tensor is, as validated from the header. */
export interface TensorInfo {
  /** The tensor's name (the header key). */
  readonly name: string;
  /** Element type. */
  readonly dtype: Dtype;
  /** Dimensions, outermost first (C order); `[]` for a scalar. */
  readonly shape: readonly number[];
  /** `[begin, end)` byte offsets relative to the start of the data section, as in the header. */
  readonly dataOffsets: readonly [number, number];
  /** `end - begin`: the tensor's size in bytes. */
  readonly byteLength: number;
  /** Product of the shape (1 for a scalar, 0 when a dimension is 0). */
  readonly elementCount: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** N, the declared JSON header length in bytes (including padding). */
  readonly headerByteLength: number;
  /** Absolute offset of the data section: 8 + N. */
  readonly dataOffset: number;
  /** Length of the data section in bytes (the end offset of the last tensor). */
  readonly dataByteLength: number;
  /** The `__metadata__` string map, or undefined when the header has none (or `null`). */
  readonly metadata: Readonly<Record<string, string>> | undefined;
  /** Every tensor, in data order (ascending offsets). */
  readonly tensors: readonly TensorInfo[];
}

/** Options of {@link parseSafetensorsHeader}. */
export interface ParseHeaderOptions {
  /**
   * Size of the whole file in bytes, when `bytes` holds only its beginning (at least 8 + N bytes).
   * @defaultValue `bytes.length`
   */
  totalSize?: number;
}

/**
 * Parses and validates a safetensors header with every check of the Rust reference (sizes, UTF-8, JSON,
 * dtypes, shapes, contiguous offsets, dtype × shape = byte length, full coverage of the data section), and
 * also rejects duplicate names and values beyond 2^53 - 1.
 *
 * @param bytes - the file, or its first 8 + N bytes together with `options.totalSize`
 * @param options - `totalSize`: the whole file's size when `bytes` is only its beginning
 * @returns the validated header
 * @throws {SafetensorsError} with the code of the first failed check
 * @example
 * ```ts
 * const header = parseSafetensorsHeader(new Uint8Array(await blob.arrayBuffer()));
 * console.log(header.tensors.map((t) => t.name));
 * ```
 */
export function parseSafetensorsHeader(bytes: Uint8Array, options?: ParseHeaderOptions): SafetensorsHeader {
  const totalSize = options?.totalSize ?? bytes.length;
  const n = readHeaderLength(bytes, totalSize);
  if (bytes.length < HEADER_PREFIX_BYTES + n) {
    throw new SafetensorsError(
      'INVALID_HEADER_LENGTH',
      `the header needs ${HEADER_PREFIX_BYTES + n} bytes but only ${bytes.length} were given`,
    );
  }
  return parseHeaderBytes(bytes.subarray(HEADER_PREFIX_BYTES, HEADER_PREFIX_BYTES + n), totalSize);
}

/**
 * Reads N from the 8-byte prefix and checks it against the limit and the total size. @internal
 *
 * @throws {SafetensorsError} HEADER_TOO_SMALL, HEADER_TOO_LARGE or INVALID_HEADER_LENGTH
 */
export function readHeaderLength(prefix: Uint8Array, totalSize: number): number {
  if (totalSize < HEADER_PREFIX_BYTES || prefix.length < HEADER_PREFIX_BYTES) {
    throw new SafetensorsError(
      'HEADER_TOO_SMALL',
      `a safetensors file starts with an 8-byte header length, but the input has ${totalSize} bytes`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, HEADER_PREFIX_BYTES);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    const n = (BigInt(high) << 32n) | BigInt(low);
    throw new SafetensorsError(
      'HEADER_TOO_LARGE',
      `the header length is ${n} bytes; the maximum is ${MAX_HEADER_BYTES}`,
    );
  }
  if (HEADER_PREFIX_BYTES + low > totalSize) {
    throw new SafetensorsError(
      'INVALID_HEADER_LENGTH',
      `the header length is ${low} bytes, past the end of the ${totalSize}-byte input`,
    );
  }
  return low;
}

let utf8: InstanceType<typeof TextDecoder> | undefined;

/** Decodes, parses and validates the N header bytes of a file of `totalSize` bytes. @internal */
export function parseHeaderBytes(headerBytes: Uint8Array, totalSize: number): SafetensorsHeader {
  const n = headerBytes.length;
  let text: string;
  try {
    utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    text = utf8.decode(headerBytes);
  } catch (cause) {
    throw new SafetensorsError('INVALID_UTF8', 'the header is not valid UTF-8', { cause });
  }
  const raw = parseHeaderJson(text);
  const tensors = validateTensors(raw.tensors);
  const last = tensors[tensors.length - 1];
  const dataByteLength = last === undefined ? 0 : last.dataOffsets[1];
  if (HEADER_PREFIX_BYTES + n + dataByteLength !== totalSize) {
    const expected = HEADER_PREFIX_BYTES + n + dataByteLength;
    throw new SafetensorsError(
      'INCOMPLETE_BUFFER',
      `the header describes ${dataByteLength} data bytes, so the file should be ${expected} bytes, but it is ` +
        `${totalSize} (${totalSize > expected ? 'trailing' : 'missing'} bytes)`,
    );
  }
  return {
    headerByteLength: n,
    dataOffset: HEADER_PREFIX_BYTES + n,
    dataByteLength,
    metadata: raw.metadata,
    tensors,
  };
}

const U64_LIMIT = 1n << 64n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The Rust `Metadata::validate` over entries sorted by offsets, then the JavaScript limit (2^53 - 1).
 * @internal
 */
export function validateTensors(entries: readonly RawTensorEntry[]): TensorInfo[] {
  // Stable sort by (begin, end), as Rust does; values are normalized (bigint only above 2^53 - 1), so
  // mixed comparisons are exact.
  const sorted = entries.slice().sort((a, b) => cmp(a.begin, b.begin) || cmp(a.end, b.end));
  const out: TensorInfo[] = [];
  let start: U64 = 0;
  for (const t of sorted) {
    if (t.begin !== start || t.end < t.begin) {
      throw new SafetensorsError(
        'INVALID_OFFSETS',
        `tensor ${show(t.name)} has data_offsets [${t.begin}, ${t.end}], but the previous tensor ends at ` +
          `${start}: offsets must be contiguous from 0, without gaps or overlaps`,
      );
    }
    start = t.end;
    let elements = 1n;
    for (const d of t.shape) {
      elements *= BigInt(d);
      if (elements >= U64_LIMIT) {
        throw new SafetensorsError(
          'OVERFLOW',
          `tensor ${show(t.name)}: the element count of shape [${t.shape.join(', ')}] overflows u64`,
        );
      }
    }
    const bits = elements * BigInt(DTYPES[t.dtype].bits);
    if (bits >= U64_LIMIT) {
      throw new SafetensorsError(
        'OVERFLOW',
        `tensor ${show(t.name)}: ${elements} ${t.dtype} elements overflow u64 when counted in bits`,
      );
    }
    if (bits % 8n !== 0n) {
      throw new SafetensorsError(
        'MISALIGNED_SLICE',
        `tensor ${show(t.name)}: ${elements} ${t.dtype} elements take ${bits} bits, not a whole number of bytes`,
      );
    }
    const size = BigInt(t.end) - BigInt(t.begin);
    if (size !== bits / 8n) {
      throw new SafetensorsError(
        'SIZE_MISMATCH',
        `tensor ${show(t.name)}: dtype ${t.dtype} with shape [${t.shape.join(', ')}] takes ${bits / 8n} bytes, ` +
          `but data_offsets [${t.begin}, ${t.end}] span ${size}`,
      );
    }
    if (typeof t.end === 'bigint' || elements > SAFE || t.shape.some((d) => typeof d === 'bigint')) {
      throw new SafetensorsError(
        'OVERFLOW',
        `tensor ${show(t.name)}: offsets [${t.begin}, ${t.end}] or shape [${t.shape.join(', ')}] exceed ` +
          `2^53 - 1, which JavaScript cannot address`,
      );
    }
    out.push({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape as number[],
      dataOffsets: [t.begin as number, t.end],
      byteLength: Number(size),
      elementCount: Number(elements),
    });
  }
  return out;
}

function cmp(a: U64, b: U64): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
