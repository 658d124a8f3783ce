import { varintToBigInt, varintToInt32, varintToNumber, WireType } from './wire.js';
import type { ProtoWriter } from './writer.js';

/** How one scalar value is read and written. @internal */
export interface ScalarCodec<V> {
  /** Wire type of one unpacked value. */
  readonly wireType: number;
  /** Whether repeated values may be packed (numeric types). */
  readonly packable: boolean;
  read(value: Uint8Array): V;
  write(w: ProtoWriter, value: V): void;
  equal(a: V, b: V): boolean;
}

const utf8 = new TextDecoder();
const same = <V>(a: V, b: V): boolean => Object.is(a, b);

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** UTF-8 strings (invalid sequences decode to U+FFFD; the original bytes are kept while unchanged). */
export const stringCodec: ScalarCodec<string> = {
  wireType: WireType.LEN,
  packable: false,
  read: (v) => utf8.decode(v),
  write: (w, v) => {
    const bytes = new TextEncoder().encode(v);
    w.varint(bytes.length);
    w.raw(bytes);
  },
  equal: same,
};

/** Byte strings, decoded as views into the input (never copied). */
export const bytesCodec: ScalarCodec<Uint8Array> = {
  wireType: WireType.LEN,
  packable: false,
  read: (v) => v,
  write: (w, v) => {
    w.varint(v.length);
    w.raw(v);
  },
  equal: same,
};

/** int64 as a JS number (exact below 2^53: sizes, dims, versions). */
export const int64NumberCodec: ScalarCodec<number> = {
  wireType: WireType.VARINT,
  packable: true,
  read: varintToNumber,
  write: (w, v) => (Number.isSafeInteger(v) && v >= 0 ? w.varint(v) : w.varintBig(BigInt(Math.trunc(v)))),
  equal: same,
};

/** int64 as a bigint (attribute values, exact over the whole range). */
export const int64BigCodec: ScalarCodec<bigint> = {
  wireType: WireType.VARINT,
  packable: true,
  read: varintToBigInt,
  write: (w, v) => w.varintBig(v),
  equal: same,
};

/** int32 and enums. */
export const int32Codec: ScalarCodec<number> = {
  wireType: WireType.VARINT,
  packable: true,
  read: varintToInt32,
  write: (w, v) => (v >= 0 ? w.varint(v) : w.varintBig(BigInt(v))),
  equal: same,
};

/** float32 (fixed 4 bytes). */
export const floatCodec: ScalarCodec<number> = {
  wireType: WireType.I32,
  packable: true,
  read: (v) => view(v).getFloat32(0, true),
  write: (w, v) => w.float32(v),
  equal: same,
};
