let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  table = t;
  return t;
}

/**
 * CRC-32 (ISO-HDLC, the ZIP checksum) of `bytes`.
 *
 * @param bytes - the data
 * @returns the checksum as an unsigned 32-bit integer
 * @example crc32(new TextEncoder().encode('123456789')) === 0xcbf43926
 */
export function crc32(bytes: Uint8Array): number {
  const t = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
