import { readFields, type WireField } from './wire.js';
import type { ProtoWriter } from './writer.js';

/**
 * Hooks of one encoding run. `substitute` may hand the encoder another object to write in place of a message
 * (used to re-lay-out tensors without touching the caller's model). @internal
 */
export interface EncodeContext {
  substitute?: (message: object) => object;
}

/**
 * How one field of a message is decoded, compared and encoded. Implementations close over the value type,
 * so a schema is a plain list of these. @internal
 */
export interface FieldDef<T> {
  /** Field number. */
  readonly no: number;
  /** Whether a wire entry of this wire type belongs to this field (others are kept as unknown fields). */
  accepts(wireType: number): boolean;
  /** Sets the field's default on a new message. */
  init(target: T): void;
  /** Decodes the field's entries into `target`; returns a snapshot to compare against when encoding. */
  decode(target: T, entries: readonly WireField[]): unknown;
  /** Whether the current value equals the snapshot taken when decoding. */
  unchanged(target: T, snapshot: unknown): boolean;
  /** Whether a fresh encoding writes anything. */
  present(target: T): boolean;
  /** Whether the value is still the one `init` set (a field absent from decoded bytes and left alone). */
  isDefault(target: T): boolean;
  /** Writes the whole current value; `packed` says how the source encoded it (undefined: the default). */
  write(target: T, w: ProtoWriter, ctx: EncodeContext, packed: boolean | undefined): void;
  /** Message fields: writes element `k` of an unchanged list. */
  writeElement?(target: T, k: number, w: ProtoWriter, ctx: EncodeContext): void;
}

/** A message type: how to create one and its known fields. @internal */
export interface MessageSchema<T extends object> {
  readonly name: string;
  readonly fields: readonly FieldDef<T>[];
  create(): T;
}

/** What was read for a message: every field in wire order, and snapshots of the known ones. */
interface RawState {
  readonly fields: readonly WireField[];
  readonly snapshots: ReadonlyMap<number, unknown>;
  /** Unknown fields to leave out from now on (e.g. a tensor's typed data once raw_data replaces it). */
  dropped?: Set<number>;
}

const raws = new WeakMap<object, RawState>();
const byNumber = new WeakMap<object, Map<number, FieldDef<never>>>();

function fieldMap<T extends object>(schema: MessageSchema<T>): Map<number, FieldDef<T>> {
  let map = byNumber.get(schema) as Map<number, FieldDef<T>> | undefined;
  if (!map) {
    map = new Map(schema.fields.map((f) => [f.no, f]));
    byNumber.set(schema, map as Map<number, FieldDef<never>>);
  }
  return map;
}

/** Creates a new message with every known field at its default. @internal */
export function createMessage<T extends object>(schema: MessageSchema<T>): T {
  const target = schema.create();
  for (const field of schema.fields) field.init(target);
  return target;
}

/**
 * Decodes a message: known fields become properties, everything else is kept as raw wire bytes.
 *
 * @throws {OnnxError} `INVALID_PROTOBUF` on malformed input
 * @internal
 */
export function decodeMessage<T extends object>(schema: MessageSchema<T>, bytes: Uint8Array): T {
  const fields = readFields(bytes, schema.name);
  const target = createMessage(schema);
  const map = fieldMap(schema);
  const groups = new Map<number, WireField[]>();
  for (const field of fields) {
    const def = map.get(field.no);
    if (!def?.accepts(field.wireType)) continue;
    const group = groups.get(field.no);
    if (group) group.push(field);
    else groups.set(field.no, [field]);
  }
  const snapshots = new Map<number, unknown>();
  for (const [no, entries] of groups) {
    snapshots.set(no, (map.get(no) as FieldDef<T>).decode(target, entries));
  }
  raws.set(target, { fields, snapshots });
  return target;
}

/**
 * Encodes a message. Fields keep their original order; an unchanged leaf field is re-emitted from its
 * original bytes, a changed one is written where it first appeared, a new one before the first field with a
 * higher number (protobuf's canonical order). Unknown fields are re-emitted as they were. @internal
 */
export function encodeMessage<T extends object>(
  schema: MessageSchema<T>,
  message: T,
  w: ProtoWriter,
  ctx: EncodeContext,
): void {
  const target = (ctx.substitute ? ctx.substitute(message) : message) as T;
  const raw = raws.get(target);
  const sorted = [...schema.fields].sort((a, b) => a.no - b.no);
  if (!raw) {
    for (const def of sorted) if (def.present(target)) def.write(target, w, ctx, undefined);
    return;
  }
  const map = fieldMap(schema);
  const fresh = sorted.filter((def) => !raw.snapshots.has(def.no) && !def.isDefault(target));
  let next = 0;
  const state = new Map<number, { unchanged: boolean; count: number; written: boolean }>();
  for (const field of raw.fields) {
    while (next < fresh.length && (fresh[next] as FieldDef<T>).no < field.no) {
      (fresh[next++] as FieldDef<T>).write(target, w, ctx, undefined);
    }
    const def = map.get(field.no);
    if (!def?.accepts(field.wireType) || !raw.snapshots.has(field.no)) {
      if (!raw.dropped?.has(field.no)) w.raw(field.raw);
      continue;
    }
    let s = state.get(field.no);
    if (!s) {
      s = { unchanged: def.unchanged(target, raw.snapshots.get(field.no)), count: 0, written: false };
      state.set(field.no, s);
    }
    if (s.unchanged) {
      if (def.writeElement) def.writeElement(target, s.count++, w, ctx);
      else w.raw(field.raw);
    } else if (!s.written) {
      s.written = true;
      if (def.present(target)) def.write(target, w, ctx, field.wireType === 2);
    }
  }
  while (next < fresh.length) (fresh[next++] as FieldDef<T>).write(target, w, ctx, undefined);
}

/** The unknown (undecoded) fields of a decoded message with the given numbers, in wire order. @internal */
export function unknownFields(message: object, numbers: readonly number[]): WireField[] {
  const raw = raws.get(message);
  if (!raw) return [];
  return raw.fields.filter(
    (f) => numbers.includes(f.no) && !raw.snapshots.has(f.no) && !raw.dropped?.has(f.no),
  );
}

/** Leaves the unknown fields with these numbers out of every later encoding of `message`. @internal */
export function dropUnknownFields(message: object, numbers: readonly number[]): void {
  const raw = raws.get(message);
  if (!raw) return;
  raw.dropped ??= new Set();
  for (const no of numbers) raw.dropped.add(no);
}

/**
 * A shallow copy of a message that keeps the original's wire bytes and snapshots, so only the fields then
 * changed on the copy are re-encoded. Arrays are copied; nested messages are shared. @internal
 */
export function cloneMessage<T extends object>(message: T): T {
  const copy = { ...message };
  for (const [key, value] of Object.entries(copy)) {
    if (Array.isArray(value)) Reflect.set(copy, key, [...value]);
  }
  const raw = raws.get(message);
  if (raw) raws.set(copy, { ...raw, ...(raw.dropped ? { dropped: new Set(raw.dropped) } : {}) });
  return copy;
}
