import { crc32 } from './crc32.js';
import { TorchLoadError } from './torch-error.js';

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

/** Options of {@link readZipEntries}. */
export interface ReadZipOptions {
  /** Check every entry's CRC-32 against the central directory (default true). */
  readonly verifyCrc?: boolean;
}

function bad(message: string): never {
  throw new TorchLoadError('BAD_ZIP', message);
}

/** Bounds-checked little-endian reads over one buffer; every read past the end is a BAD_ZIP error. */
class Cursor {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(offset: number, length: number, what: string): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.bytes.length)) {
      bad(
        `${what} at offset ${offset} (+${length} bytes) lies past the end of the ${this.bytes.length}-byte archive`,
      );
    }
  }
  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }
  u64(offset: number, what: string): number {
    this.need(offset, 8, what);
    const lo = this.view.getUint32(offset, true);
    const hi = this.view.getUint32(offset + 4, true);
    if (hi >= 0x200000) bad(`${what} at offset ${offset} is larger than 2^53 (hi word ${hi})`);
    return hi * 0x100000000 + lo;
  }
}

interface Directory {
  readonly offset: number;
  readonly size: number;
  readonly entries: number;
  /** Where the central directory must end at the latest (start of the (ZIP64) end record). */
  readonly limit: number;
}

function findEocd(c: Cursor): number {
  const len = c.bytes.length;
  if (len < EOCD_SIZE) bad(`archive is ${len} bytes, shorter than an end-of-central-directory record`);
  const lowest = Math.max(0, len - EOCD_SIZE - U16_MAX);
  for (let pos = len - EOCD_SIZE; pos >= lowest; pos--) {
    if (c.u32(pos, 'EOCD') === EOCD_SIG && pos + EOCD_SIZE + c.u16(pos + 20, 'EOCD comment') === len)
      return pos;
  }
  return bad('no end-of-central-directory record found (truncated archive, or not a ZIP file)');
}

function readDirectory(c: Cursor): Directory {
  const eocd = findEocd(c);
  let disk = c.u16(eocd + 4, 'EOCD');
  let cdDisk = c.u16(eocd + 6, 'EOCD');
  let diskEntries = c.u16(eocd + 8, 'EOCD');
  let entries = c.u16(eocd + 10, 'EOCD');
  let size = c.u32(eocd + 12, 'EOCD');
  let offset = c.u32(eocd + 16, 'EOCD');
  let limit = eocd;
  const locator = eocd - 20;
  if (locator >= 0 && c.u32(locator, 'ZIP64 locator') === ZIP64_LOCATOR_SIG) {
    const z64 = c.u64(locator + 8, 'ZIP64 locator');
    const totalDisks = c.u32(locator + 16, 'ZIP64 locator');
    if (c.u32(locator + 4, 'ZIP64 locator') !== 0 || totalDisks > 1) {
      throw new TorchLoadError('UNSUPPORTED_ZIP', `multi-disk ZIP64 archive (${totalDisks} disks)`);
    }
    if (z64 + 56 > locator) bad(`ZIP64 end record offset ${z64} overlaps its locator at ${locator}`);
    if (c.u32(z64, 'ZIP64 end record') !== ZIP64_EOCD_SIG) bad(`no ZIP64 end record at offset ${z64}`);
    disk = c.u32(z64 + 16, 'ZIP64 end record');
    cdDisk = c.u32(z64 + 20, 'ZIP64 end record');
    diskEntries = c.u64(z64 + 24, 'ZIP64 end record');
    entries = c.u64(z64 + 32, 'ZIP64 end record');
    size = c.u64(z64 + 40, 'ZIP64 end record');
    offset = c.u64(z64 + 48, 'ZIP64 end record');
    limit = z64;
  } else if (entries === U16_MAX || size === U32_MAX || offset === U32_MAX) {
    bad('end-of-central-directory record has ZIP64 markers but the archive has no ZIP64 locator');
  }
  if (disk !== 0 || cdDisk !== 0 || diskEntries !== entries) {
    throw new TorchLoadError(
      'UNSUPPORTED_ZIP',
      `multi-disk archive (disk ${disk}, directory on disk ${cdDisk})`,
    );
  }
  if (offset + size > limit) {
    bad(`central directory (offset ${offset}, ${size} bytes) runs past its end record at ${limit}`);
  }
  if (entries * CENTRAL_SIZE > size) bad(`${entries} entries cannot fit in a ${size}-byte central directory`);
  return { offset, size, entries, limit };
}

interface Sizes {
  compressed: number;
  uncompressed: number;
  local: number;
  disk: number;
}

/** Replaces the 0xFFFF… markers in `s` with the values of the ZIP64 extra field (id 1), in the spec's order. */
function applyZip64Extra(c: Cursor, start: number, end: number, s: Sizes, name: string): void {
  let p = start;
  let found = false;
  while (p + 4 <= end) {
    const id = c.u16(p, 'extra field');
    const len = c.u16(p + 2, 'extra field');
    const body = p + 4;
    if (body + len > end) bad(`extra field of '${name}' runs past its header (${len} bytes at ${body})`);
    if (id === 1) {
      found = true;
      let q = body;
      const take = (n: number): number => {
        if (q + n > body + len) bad(`ZIP64 extra field of '${name}' is too short (${len} bytes)`);
        const v = n === 8 ? c.u64(q, 'ZIP64 extra') : c.u32(q, 'ZIP64 extra');
        q += n;
        return v;
      };
      if (s.uncompressed === U32_MAX) s.uncompressed = take(8);
      if (s.compressed === U32_MAX) s.compressed = take(8);
      if (s.local === U32_MAX) s.local = take(8);
      if (s.disk === U16_MAX) s.disk = take(4);
    }
    p = body + len;
  }
  const marked = s.uncompressed === U32_MAX || s.compressed === U32_MAX || s.local === U32_MAX;
  if (!found && marked) bad(`entry '${name}' has ZIP64 size markers but no ZIP64 extra field`);
}

const utf8 = () => new TextDecoder('utf-8', { fatal: true });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Lists the entries of a ZIP archive as torch.save writes it (STORED entries, optionally ZIP64), validating every
 * offset and length against the buffer; entry data are views into `bytes`, nothing is copied.
 *
 * @param bytes - the whole archive
 * @param options - {@link ReadZipOptions}
 * @returns entry name → entry bytes, in central-directory order
 * @throws {@link TorchLoadError} BAD_ZIP for a malformed archive, UNSUPPORTED_ZIP for compressed, encrypted or
 *   multi-disk entries
 */
export function readZipEntries(bytes: Uint8Array, options: ReadZipOptions = {}): Map<string, Uint8Array> {
  const c = new Cursor(bytes);
  const dir = readDirectory(c);
  const decoder = utf8();
  const out = new Map<string, Uint8Array>();
  const end = dir.offset + dir.size;
  let p = dir.offset;
  for (let i = 0; i < dir.entries; i++) {
    if (c.u32(p, 'central directory entry') !== CENTRAL_SIG) bad(`bad central directory signature at ${p}`);
    const flags = c.u16(p + 8, 'central directory entry');
    const method = c.u16(p + 10, 'central directory entry');
    const crc = c.u32(p + 16, 'central directory entry');
    const nameLen = c.u16(p + 28, 'central directory entry');
    const extraLen = c.u16(p + 30, 'central directory entry');
    const commentLen = c.u16(p + 32, 'central directory entry');
    const sizes: Sizes = {
      compressed: c.u32(p + 20, 'central directory entry'),
      uncompressed: c.u32(p + 24, 'central directory entry'),
      disk: c.u16(p + 34, 'central directory entry'),
      local: c.u32(p + 42, 'central directory entry'),
    };
    const nameStart = p + CENTRAL_SIZE;
    const next = nameStart + nameLen + extraLen + commentLen;
    if (next > end) bad(`central directory entry ${i} at ${p} runs past the directory's end at ${end}`);
    const nameBytes = bytes.subarray(nameStart, nameStart + nameLen);
    let name: string;
    try {
      name = decoder.decode(nameBytes);
    } catch (cause) {
      throw new TorchLoadError('BAD_ZIP', `entry ${i} has a name that is not UTF-8`, { cause });
    }
    applyZip64Extra(c, nameStart + nameLen, nameStart + nameLen + extraLen, sizes, name);
    if ((flags & 0x41) !== 0) throw new TorchLoadError('UNSUPPORTED_ZIP', `entry '${name}' is encrypted`);
    if (method !== 0) {
      const kind = method === 8 ? 'DEFLATE-compressed' : `compressed with method ${method}`;
      throw new TorchLoadError(
        'UNSUPPORTED_ZIP',
        `entry '${name}' is ${kind}; torch.save writes entries uncompressed (STORED), re-save the checkpoint with torch.save`,
      );
    }
    if (sizes.disk !== 0)
      throw new TorchLoadError('UNSUPPORTED_ZIP', `entry '${name}' is on disk ${sizes.disk}`);
    if (sizes.compressed !== sizes.uncompressed) {
      bad(`stored entry '${name}' has compressed size ${sizes.compressed} ≠ size ${sizes.uncompressed}`);
    }
    if (out.has(name)) bad(`duplicate entry name '${name}'`);
    const local = sizes.local;
    if (c.u32(local, `local header of '${name}'`) !== LOCAL_SIG)
      bad(`no local header for '${name}' at ${local}`);
    if (c.u16(local + 8, 'local header') !== method) bad(`local header of '${name}' disagrees on the method`);
    const localNameLen = c.u16(local + 26, 'local header');
    const localExtraLen = c.u16(local + 28, 'local header');
    c.need(local + LOCAL_SIZE, localNameLen, `name in the local header of '${name}'`);
    const localName = bytes.subarray(local + LOCAL_SIZE, local + LOCAL_SIZE + localNameLen);
    if (!sameBytes(localName, nameBytes))
      bad(`local header at ${local} names a different file than '${name}'`);
    const dataStart = local + LOCAL_SIZE + localNameLen + localExtraLen;
    if (dataStart + sizes.compressed > dir.offset) {
      bad(`data of '${name}' (${sizes.compressed} bytes at ${dataStart}) overlaps the central directory`);
    }
    c.need(dataStart, sizes.compressed, `data of '${name}'`);
    const data = bytes.subarray(dataStart, dataStart + sizes.compressed);
    if (options.verifyCrc !== false && crc32(data) !== crc) {
      bad(`CRC-32 mismatch in '${name}': stored ${crc.toString(16)}, computed ${crc32(data).toString(16)}`);
    }
    out.set(name, data);
    p = next;
  }
  if (p !== end)
    bad(`central directory declares ${dir.size} bytes but its ${dir.entries} entries use ${p - dir.offset}`);
  return out;
}
