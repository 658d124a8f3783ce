/**
 * Test-only builders of pickles and torch-style ZIP archives, for hand-made hostile and edge-case inputs.
 * (Named `*.test.helper.ts`: not a test file, and left out of the published package by `!dist/**\/*.test.*`.)
 */
import { crc32 } from './crc32.js';

const enc = new TextEncoder();

/** Concatenates byte chunks, numbers (single bytes) and latin-1 strings. */
export function bytesOf(...parts: (Uint8Array | number | string)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === 'number'
      ? Uint8Array.of(p)
      : typeof p === 'string'
        ? Uint8Array.from(p, (c) => c.charCodeAt(0))
        : p,
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function le(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt(n);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Pickle opcode builders (protocol 2/4 binary forms). */
export const P = {
  proto: (v = 2) => bytesOf(0x80, v),
  stop: bytesOf('.'),
  mark: bytesOf('('),
  tuple: bytesOf('t'),
  tuple1: bytesOf(0x85),
  tuple2: bytesOf(0x86),
  tuple3: bytesOf(0x87),
  emptyTuple: bytesOf(')'),
  emptyDict: bytesOf('}'),
  emptyList: bytesOf(']'),
  setitem: bytesOf('s'),
  setitems: bytesOf('u'),
  append: bytesOf('a'),
  reduce: bytesOf('R'),
  build: bytesOf('b'),
  binpersid: bytesOf('Q'),
  newFalse: bytesOf(0x89),
  none: bytesOf('N'),
  str: (s: string) => {
    const b = enc.encode(s);
    return bytesOf('X', le(b.length, 4), b);
  },
  int: (n: number) => bytesOf('J', le(n, 4)),
  global: (module: string, name: string) => bytesOf('c', enc.encode(`${module}\n${name}\n`)),
  stackGlobal: (module: string, name: string) => bytesOf(P.str(module), P.str(name), 0x93),
  binput: (i: number) => bytesOf('q', i),
  binget: (i: number) => bytesOf('h', i),
};

/** A size/stride tuple of small ints. */
export function intTuple(values: readonly number[]): Uint8Array {
  return bytesOf(P.mark, ...values.map((v) => P.int(v)), P.tuple);
}

/** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`. */
export function tensorPickle(
  storageType: string,
  key: string,
  numel: number,
  offset: number,
  size: readonly number[],
  stride: readonly number[],
): Uint8Array {
  return bytesOf(
    P.global('torch._utils', '_rebuild_tensor_v2'),
    P.mark,
    P.mark,
    P.str('storage'),
    P.global('torch', storageType),
    P.str(key),
    P.str('cpu'),
    P.int(numel),
    P.tuple,
    P.binpersid,
    P.int(offset),
    intTuple(size),
    intTuple(stride),
    P.newFalse,
    P.global('collections', 'OrderedDict'),
    P.emptyTuple,
    P.reduce,
    P.tuple,
    P.reduce,
  );
}

/** A protocol-2 pickle of `{name: tensor, ...}` from already-built tensor pickles. */
export function dictPickle(entries: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  return bytesOf(
    P.proto(),
    P.emptyDict,
    P.mark,
    ...entries.flatMap(([k, v]) => [P.str(k), v]),
    P.setitems,
    P.stop,
  );
}

/** Options of {@link buildZip}. */
export interface ZipOptions {
  /** Compression method written in the headers (data stay raw). */
  method?: number;
  /** Corrupt the CRC of every entry. */
  badCrc?: boolean;
}

/** A minimal STORED ZIP (classic end record only) of the given records, in order. */
export function buildZip(
  records: readonly (readonly [string, Uint8Array])[],
  options: ZipOptions = {},
): Uint8Array {
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of records) {
    const n = enc.encode(name);
    const crc = le((crc32(data) ^ (options.badCrc ? 1 : 0)) >>> 0, 4);
    const method = le(options.method ?? 0, 2);
    const size = le(data.length, 4);
    const header = bytesOf(le(0x04034b50, 4), le(20, 2), le(0, 2), method, le(0, 4), crc, size, size);
    local.push(bytesOf(header, le(n.length, 2), le(0, 2), n, data));
    central.push(
      bytesOf(le(0x02014b50, 4), le(20, 2), le(20, 2), le(0, 2), method, le(0, 4), crc, size, size),
      bytesOf(le(n.length, 2), le(0, 2), le(0, 2), le(0, 2), le(0, 2), le(0, 4), le(offset, 4), n),
    );
    offset += 30 + n.length + data.length;
  }
  const cd = bytesOf(...central);
  const count = le(records.length, 2);
  const eocd = bytesOf(le(0x06054b50, 4), le(0, 4), count, count, le(cd.length, 4), le(offset, 4), le(0, 2));
  return bytesOf(...local, cd, eocd);
}

/** A torch-style archive: `<prefix>/data.pkl`, `byteorder`, `data/<key>` for each storage, `version`. */
export function torchArchive(
  pickle: Uint8Array,
  storages: Readonly<Record<string, Uint8Array>> = {},
  options: ZipOptions & { byteorder?: string } = {},
): Uint8Array {
  return buildZip(
    [
      ['archive/data.pkl', pickle],
      ['archive/byteorder', enc.encode(options.byteorder ?? 'little')],
      ...Object.entries(storages).map(([k, v]) => [`archive/data/${k}`, v] as const),
      ['archive/version', enc.encode('3\n')],
    ],
    options,
  );
}

/** Little-endian float32 bytes of `values`. */
export function f32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
