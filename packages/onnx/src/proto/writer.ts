import { WireType } from './wire.js';

/** Views at least this long are kept as chunks instead of being copied into the scratch buffer. */
const COPY_LIMIT = 512;
const encoder = new TextEncoder();

/**
 * Appends protobuf wire data to a list of chunks. Long byte ranges (tensor payloads, unchanged fields) are
 * kept as views, so nothing is copied until {@link ProtoWriter.finish} (or never, with
 * {@link ProtoWriter.chunks}). @internal
 */
export class ProtoWriter {
  private flushed = 0;
  private readonly parts: Uint8Array[] = [];
  private scratch: Uint8Array = new Uint8Array(64);
  private start = 0;
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    this.flush();
    this.scratch = new Uint8Array(Math.max(n, Math.min(this.scratch.length * 2, 65_536)));
    this.start = this.pos = 0;
  }

  private flush(): void {
    if (this.pos > this.start) {
      this.parts.push(this.scratch.subarray(this.start, this.pos));
      this.flushed += this.pos - this.start;
    }
    this.start = this.pos;
  }

  /** Total number of bytes written so far. */
  get length(): number {
    return this.flushed + this.pos - this.start;
  }

  /** Writes an unsigned varint of a non-negative safe integer. */
  varint(value: number): void {
    if (value < 0) {
      this.varintBig(BigInt.asUintN(64, BigInt(value)));
      return;
    }
    this.reserve(10);
    let v = value;
    while (v >= 128) {
      this.scratch[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.scratch[this.pos++] = v;
  }

  /** Writes an unsigned 64-bit varint (negative values as their two's complement, as protobuf does). */
  varintBig(value: bigint): void {
    this.reserve(10);
    let v = BigInt.asUintN(64, value);
    while (v >= 128n) {
      this.scratch[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.pos++] = Number(v);
  }

  /** Writes a field tag. */
  tag(no: number, wireType: number): void {
    this.varint(no * 8 + wireType);
  }

  /** Writes a little-endian float32. */
  float32(value: number): void {
    this.reserve(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset).setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  /** Writes a little-endian float64. */
  float64(value: number): void {
    this.reserve(8);
    new DataView(this.scratch.buffer, this.scratch.byteOffset).setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Appends bytes as they are (a view is kept for long ranges). */
  raw(bytes: Uint8Array): void {
    if (bytes.length >= COPY_LIMIT) {
      this.flush();
      this.parts.push(bytes);
      this.flushed += bytes.length;
      return;
    }
    this.reserve(bytes.length);
    this.scratch.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Writes a LEN field: tag, length and payload. */
  lengthDelimited(no: number, payload: Uint8Array): void {
    this.tag(no, WireType.LEN);
    this.varint(payload.length);
    this.raw(payload);
  }

  /** Writes a string field (UTF-8). */
  string(no: number, value: string): void {
    this.lengthDelimited(no, encoder.encode(value));
  }

  /** Writes a LEN field whose payload is produced by `body` into a nested writer. */
  nested(no: number, body: (w: ProtoWriter) => void): void {
    const child = new ProtoWriter();
    body(child);
    this.tag(no, WireType.LEN);
    this.varint(child.length);
    this.append(child);
  }

  /** Appends everything another writer holds. */
  append(other: ProtoWriter): void {
    other.flush();
    if (other.length < COPY_LIMIT) {
      for (const part of other.parts) this.raw(part);
      return;
    }
    this.flush();
    for (const part of other.parts) this.parts.push(part);
    this.flushed += other.flushed;
  }

  /** The written bytes as a list of chunks (views; concatenate them, or write them out one by one). */
  chunks(): Uint8Array[] {
    this.flush();
    return [...this.parts];
  }

  /** The written bytes in one new buffer. */
  finish(): Uint8Array {
    this.flush();
    if (this.parts.length === 1) return (this.parts[0] as Uint8Array).slice();
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
