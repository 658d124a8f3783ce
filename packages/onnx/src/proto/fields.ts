import {
  decodeMessage,
  type EncodeContext,
  encodeMessage,
  type FieldDef,
  type MessageSchema,
} from './message.js';
import {
  splitPackedVarints,
  varintToBigInt,
  varintToInt32,
  varintToNumber,
  type WireField,
  WireType,
} from './wire.js';
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

/** Keys of `T` whose property type fits `V` (checked at the schema, so the codec's casts are sound). */
type KeysOf<T, V> = { [K in keyof T]: [T[K]] extends [V] ? K : never }[keyof T] & string;

function get(target: object, key: string): unknown {
  return Reflect.get(target, key);
}

function set(target: object, key: string, value: unknown): void {
  if (value === undefined) Reflect.deleteProperty(target, key);
  else Reflect.set(target, key, value);
}

function readAll<V>(codec: ScalarCodec<V>, entries: readonly WireField[]): V[] {
  const out: V[] = [];
  for (const entry of entries) {
    if (entry.wireType === WireType.LEN && codec.packable) {
      if (codec.wireType === WireType.VARINT) {
        for (const v of splitPackedVarints(entry.value, 'packed field')) out.push(codec.read(v));
      } else {
        const size = codec.wireType === WireType.I32 ? 4 : 8;
        for (let i = 0; i + size <= entry.value.length; i += size) {
          out.push(codec.read(entry.value.subarray(i, i + size)));
        }
      }
    } else out.push(codec.read(entry.value));
  }
  return out;
}

function accepts(codec: ScalarCodec<unknown>, repeated: boolean): (wireType: number) => boolean {
  return (wt) => wt === codec.wireType || (repeated && codec.packable && wt === WireType.LEN);
}

/**
 * A singular scalar with a default: a new message writes it when it differs from `fallback`, or always with
 * `always` (as ONNX's helpers do for an opset's domain). @internal
 */
export function scalar<T extends object, V>(
  no: number,
  key: KeysOf<T, V>,
  codec: ScalarCodec<V>,
  fallback: V,
  always = false,
): FieldDef<T> {
  return {
    no,
    accepts: accepts(codec as ScalarCodec<unknown>, false),
    init: (t) => set(t, key, fallback),
    decode: (t, entries) => {
      const value = codec.read((entries[entries.length - 1] as WireField).value);
      set(t, key, value);
      return value;
    },
    unchanged: (t, snap) => codec.equal(get(t, key) as V, snap as V),
    present: (t) => always || !codec.equal(get(t, key) as V, fallback),
    isDefault: (t) => codec.equal(get(t, key) as V, fallback),
    write: (t, w) => {
      w.tag(no, codec.wireType);
      codec.write(w, get(t, key) as V);
    },
  };
}

/** A singular scalar with explicit presence (`undefined` when absent). @internal */
export function optional<T extends object, V>(
  no: number,
  key: KeysOf<T, V | undefined>,
  codec: ScalarCodec<V>,
): FieldDef<T> {
  return {
    no,
    accepts: accepts(codec as ScalarCodec<unknown>, false),
    init: () => {},
    decode: (t, entries) => {
      const value = codec.read((entries[entries.length - 1] as WireField).value);
      set(t, key, value);
      return value;
    },
    unchanged: (t, snap) => {
      const value = get(t, key) as V | undefined;
      return value !== undefined && codec.equal(value, snap as V);
    },
    present: (t) => get(t, key) !== undefined,
    isDefault: (t) => get(t, key) === undefined,
    write: (t, w) => {
      w.tag(no, codec.wireType);
      codec.write(w, get(t, key) as V);
    },
  };
}

/** A repeated scalar; `packedByDefault` decides the encoding of a field that was not in the input. @internal */
export function repeated<T extends object, V>(
  no: number,
  key: KeysOf<T, V[]>,
  codec: ScalarCodec<V>,
  packedByDefault = false,
): FieldDef<T> {
  return {
    no,
    accepts: accepts(codec as ScalarCodec<unknown>, true),
    init: (t) => set(t, key, []),
    decode: (t, entries) => {
      const values = readAll(codec, entries);
      set(t, key, values);
      return [...values];
    },
    unchanged: (t, snap) => {
      const a = get(t, key) as V[];
      const b = snap as V[];
      return a.length === b.length && a.every((v, i) => codec.equal(v, b[i] as V));
    },
    present: (t) => (get(t, key) as V[]).length > 0,
    isDefault: (t) => (get(t, key) as V[]).length === 0,
    write: (t, w, _ctx, packed) => {
      const values = get(t, key) as V[];
      if (codec.packable && (packed ?? packedByDefault)) {
        w.nested(no, (inner) => {
          for (const v of values) codec.write(inner, v);
        });
        return;
      }
      for (const v of values) {
        w.tag(no, codec.wireType);
        codec.write(w, v);
      }
    },
  };
}

function writeChild<C extends object>(
  no: number,
  schema: MessageSchema<C>,
  child: C,
  w: ProtoWriter,
  ctx: EncodeContext,
): void {
  w.nested(no, (inner) => encodeMessage(schema, child, inner, ctx));
}

function decodeChild<C extends object>(schema: MessageSchema<C>, entries: readonly WireField[]): C {
  if (entries.length === 1) return decodeMessage(schema, (entries[0] as WireField).value);
  // protobuf merges repeated occurrences of a singular message: parsing their concatenation does the same
  const total = entries.reduce((n, e) => n + e.value.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const e of entries) {
    joined.set(e.value, offset);
    offset += e.value.length;
  }
  return decodeMessage(schema, joined);
}

/** A singular nested message (`undefined` when absent). @internal */
export function message<T extends object, C extends object>(
  no: number,
  key: KeysOf<T, C | undefined>,
  schema: () => MessageSchema<C>,
): FieldDef<T> {
  return {
    no,
    accepts: (wt) => wt === WireType.LEN,
    init: () => {},
    decode: (t, entries) => {
      const child = decodeChild(schema(), entries);
      set(t, key, child);
      return child;
    },
    unchanged: (t, snap) => get(t, key) === snap,
    present: (t) => get(t, key) !== undefined,
    isDefault: (t) => get(t, key) === undefined,
    write: (t, w, ctx) => writeChild(no, schema(), get(t, key) as C, w, ctx),
    writeElement: (t, k, w, ctx) => {
      if (k === 0) writeChild(no, schema(), get(t, key) as C, w, ctx);
    },
  };
}

/** A repeated nested message. @internal */
export function messages<T extends object, C extends object>(
  no: number,
  key: KeysOf<T, C[]>,
  schema: () => MessageSchema<C>,
): FieldDef<T> {
  return {
    no,
    accepts: (wt) => wt === WireType.LEN,
    init: (t) => set(t, key, []),
    decode: (t, entries) => {
      const s = schema();
      const children = entries.map((e) => decodeMessage(s, e.value));
      set(t, key, children);
      return [...children];
    },
    unchanged: (t, snap) => {
      const a = get(t, key) as C[];
      const b = snap as C[];
      return a.length === b.length && a.every((c, i) => c === b[i]);
    },
    present: (t) => (get(t, key) as C[]).length > 0,
    isDefault: (t) => (get(t, key) as C[]).length === 0,
    write: (t, w, ctx) => {
      const s = schema();
      for (const child of get(t, key) as C[]) writeChild(no, s, child, w, ctx);
    },
    writeElement: (t, k, w, ctx) => writeChild(no, schema(), (get(t, key) as C[])[k] as C, w, ctx),
  };
}
