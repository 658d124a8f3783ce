import { OnnxError } from '../errors.js';

/** Protobuf wire types (the low 3 bits of a tag). @internal */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** Largest field number protobuf allows (2^29 − 1). */
const MAX_FIELD_NUMBER = 536_870_911;

/**
 * One field as it was read from the wire. Both byte ranges are views into the decoded buffer (never copies),
 * so an unchanged field is re-emitted byte for byte. @internal
 */
export interface WireField {
  /** Field number. */
  readonly no: number;
  /** Wire type (see {@link WireType}). */
  readonly wireType: number;
  /** The tag and the value, exactly as read. */
  readonly raw: Uint8Array;
  /** The value: the varint's bytes, the 4 or 8 fixed bytes, a LEN field's payload or a group's contents. */
  readonly value: Uint8Array;
}

function invalid(what: string, why: string, offset: number): OnnxError {
  return new OnnxError('INVALID_PROTOBUF', `Failed to parse ${what}: ${why} at byte ${offset}.`, {
    value: offset,
  });
}

/** Reads a varint as a JS number (exact below 2^53; used for tags and lengths). */
function readVarint(bytes: Uint8Array, start: number, what: string): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos < start + 10; pos++) {
    if (pos >= bytes.length) throw invalid(what, 'truncated varint', start);
    const b = bytes[pos] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos + 1];
    scale *= 128;
  }
  throw invalid(what, 'varint longer than 10 bytes', start);
}

/** Byte length of the varint starting at `start`, checked. */
function varintEnd(bytes: Uint8Array, start: number, what: string): number {
  return readVarint(bytes, start, what)[1];
}

/**
 * Splits a message's bytes into its fields, in wire order, without decoding any value.
 *
 * @param bytes - the message's serialized bytes
 * @param what - what is being parsed, for error messages
 * @throws {OnnxError} `INVALID_PROTOBUF` on truncated or malformed input
 * @internal
 */
export function readFields(bytes: Uint8Array, what: string): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [field, next] = readField(bytes, pos, what);
    if (field.wireType === WireType.EGROUP)
      throw invalid(what, `end-group tag ${field.no} without a start`, pos);
    fields.push(field);
    pos = next;
  }
  return fields;
}

function readField(bytes: Uint8Array, start: number, what: string): [WireField, number] {
  const [tag, afterTag] = readVarint(bytes, start, what);
  const no = Math.floor(tag / 8);
  const wireType = tag % 8;
  if (no < 1 || no > MAX_FIELD_NUMBER) throw invalid(what, `field number ${no} out of range`, start);
  let valueStart = afterTag;
  let valueEnd: number;
  let end: number;
  switch (wireType) {
    case WireType.VARINT:
      valueEnd = end = varintEnd(bytes, afterTag, what);
      break;
    case WireType.I64:
      valueEnd = end = afterTag + 8;
      break;
    case WireType.I32:
      valueEnd = end = afterTag + 4;
      break;
    case WireType.LEN: {
      const [length, afterLength] = readVarint(bytes, afterTag, what);
      valueStart = afterLength;
      valueEnd = end = afterLength + length;
      break;
    }
    case WireType.SGROUP: {
      let pos = afterTag;
      for (;;) {
        if (pos >= bytes.length) throw invalid(what, `unterminated group ${no}`, start);
        const [inner, next] = readField(bytes, pos, what);
        if (inner.wireType === WireType.EGROUP) {
          if (inner.no !== no) throw invalid(what, `group ${no} closed by end-group ${inner.no}`, pos);
          valueEnd = pos;
          end = next;
          break;
        }
        pos = next;
      }
      break;
    }
    case WireType.EGROUP:
      valueEnd = end = afterTag;
      break;
    default:
      throw invalid(what, `unknown wire type ${wireType} of field ${no}`, start);
  }
  if (end > bytes.length)
    throw invalid(what, `field ${no} runs past the end (${end} > ${bytes.length})`, start);
  const field = {
    no,
    wireType,
    raw: bytes.subarray(start, end),
    value: bytes.subarray(valueStart, valueEnd),
  };
  return [field, end];
}

/** Decodes a varint's bytes as an unsigned 64-bit integer. @internal */
export function varintToBigUint(value: Uint8Array): bigint {
  let result = 0n;
  for (let i = value.length - 1; i >= 0; i--) result = (result << 7n) | BigInt((value[i] as number) & 0x7f);
  return BigInt.asUintN(64, result);
}

/** Decodes a varint's bytes as a signed int64 (two's complement), as a bigint. @internal */
export function varintToBigInt(value: Uint8Array): bigint {
  return BigInt.asIntN(64, varintToBigUint(value));
}

/** Decodes a varint's bytes as a signed int64 in a JS number (exact when |value| < 2^53). @internal */
export function varintToNumber(value: Uint8Array): number {
  if (value.length <= 7) {
    let result = 0;
    let scale = 1;
    for (const b of value) {
      result += (b & 0x7f) * scale;
      scale *= 128;
    }
    return result;
  }
  return Number(varintToBigInt(value));
}

/** Decodes a varint's bytes as a protobuf int32 (the low 32 bits, signed). @internal */
export function varintToInt32(value: Uint8Array): number {
  return value.length <= 4 ? varintToNumber(value) : Number(BigInt.asIntN(32, varintToBigUint(value)));
}

/** Splits a packed varint payload into the bytes of each varint. @internal */
export function splitPackedVarints(payload: Uint8Array, what: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < payload.length) {
    const end = varintEnd(payload, pos, what);
    out.push(payload.subarray(pos, end));
    pos = end;
  }
  return out;
}
