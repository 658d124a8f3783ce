import type { ScalarCodec } from './codecs.js';
import {
  decodeMessage,
  type EncodeContext,
  encodeMessage,
  type FieldDef,
  type MessageSchema,
} from './message.js';
import { splitPackedVarints, type WireField, WireType } from './wire.js';
import type { ProtoWriter } from './writer.js';

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
