import { describe, expect, it } from 'vitest';
import { type ByteSource, blobSource, bytesSource } from './byte-source.js';
import { openSafetensors, readSafetensors } from './open-safetensors.js';
import { serializeSafetensors } from './serialize-safetensors.js';

const enc = new TextEncoder();

const FILE = serializeSafetensors(
  {
    weight: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    half: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc000]) },
    ids: { dtype: 'I64', shape: [3], data: new BigInt64Array([1n, -2n, 3n]) },
    empty: { dtype: 'F16', shape: [0, 4], data: new Uint8Array(0) },
  },
  { format: 'pt' },
);

/** Wraps a source and records every read. */
function counting(source: ByteSource): {
  source: ByteSource;
  reads: [number, number][];
  bytes: () => number;
} {
  const reads: [number, number][] = [];
  return {
    reads,
    bytes: () => reads.reduce((n, [, length]) => n + length, 0),
    source: {
      size: source.size,
      read(offset, length) {
        reads.push([offset, length]);
        return source.read(offset, length);
      },
    },
  };
}

describe('openSafetensors', () => {
  it('reads from a Uint8Array, an ArrayBuffer and a Blob alike', async () => {
    const inputs = [FILE, FILE.slice().buffer, new Blob([FILE])];
    for (const input of inputs) {
      const file = await openSafetensors(input);
      expect(file.metadata).toEqual({ format: 'pt' });
      expect(file.tensorNames()).toEqual(['ids', 'weight', 'half', 'empty']);
      expect([...(await file.readFloat32('weight'))]).toEqual([1, 2, 3, 4, 5, 6]);
      expect([...(await file.readFloat32('half'))]).toEqual([1, -2]);
      expect([...(await file.readFloat32('ids'))]).toEqual([1, -2, 3]);
      expect(await file.readFloat32('empty')).toEqual(new Float32Array(0));
      const ids = await file.read('ids');
      expect(ids).toMatchObject({ name: 'ids', dtype: 'I64', shape: [3] });
      expect([...new BigInt64Array(ids.data.slice().buffer)]).toEqual([1n, -2n, 3n]);
      await file.close();
    }
  });

  it('reads only the header and then only the requested tensor (counted through the source)', async () => {
    const { source, reads, bytes } = counting(blobSource(new Blob([FILE])));
    const file = await openSafetensors(source);
    const headerBytes = 8 + file.header.headerByteLength;
    expect(reads).toEqual([
      [0, 8],
      [8, file.header.headerByteLength],
    ]);
    const info = file.info('weight');
    await file.read('weight');
    expect(reads.at(-1)).toEqual([file.header.dataOffset + info.dataOffsets[0], 24]);
    expect(bytes()).toBe(headerBytes + 24);
    expect(bytes()).toBeLessThan(FILE.length);
  });

  it('TENSOR_NOT_FOUND names the missing tensor; has() and info() agree', async () => {
    const file = await openSafetensors(FILE);
    expect(file.has('weight')).toBe(true);
    expect(file.has('nope')).toBe(false);
    expect(file.info('weight')).toMatchObject({
      dtype: 'F32',
      shape: [2, 3],
      byteLength: 24,
      elementCount: 6,
    });
    expect(() => file.info('nope')).toThrow(expect.objectContaining({ code: 'TENSOR_NOT_FOUND' }));
    await expect(file.read('nope')).rejects.toThrow(/no tensor named "nope" among 4 tensors/);
  });

  it('readFloat32 never aliases an in-memory input; read() views it', async () => {
    const input = FILE.slice();
    const file = await openSafetensors(input);
    const values = await file.readFloat32('weight');
    values[0] = 42;
    expect([...(await file.readFloat32('weight'))][0]).toBe(1);
    expect((await file.read('weight')).data.buffer).toBe(input.buffer);
  });

  it('reads a third-party file whose data section is not aligned (N % 4 = 1)', async () => {
    const header =
      '{"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    const n = header.length + ((5 - (header.length % 4)) % 4);
    expect(n % 4).toBe(1);
    const bytes = new Uint8Array(8 + n + 12);
    new DataView(bytes.buffer).setUint32(0, n, true);
    bytes.set(enc.encode(header.padEnd(n, ' ')), 8);
    new DataView(bytes.buffer).setFloat64(8 + n, Math.PI, true);
    new DataView(bytes.buffer).setFloat32(16 + n, -0.5, true);
    const file = await openSafetensors(bytes);
    expect([...(await file.readFloat32('b'))]).toEqual([Math.fround(Math.PI)]);
    expect([...(await file.readFloat32('a'))]).toEqual([-0.5]);
  });

  it('IO_ERROR when the source fails, returns short reads, or the reader is closed', async () => {
    const failing: ByteSource = {
      size: FILE.length,
      read: (offset, length) =>
        offset === 0 ? bytesSource(FILE).read(offset, length) : Promise.reject(new Error('disk on fire')),
    };
    await expect(openSafetensors(failing)).rejects.toMatchObject({
      code: 'IO_ERROR',
      cause: { message: 'disk on fire' },
    });
    const short: ByteSource = { size: FILE.length, read: async () => new Uint8Array(3) };
    await expect(openSafetensors(short)).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(openSafetensors({ size: -1, read: async () => new Uint8Array(0) })).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    const file = await openSafetensors(FILE);
    await file.close();
    await file.close();
    await expect(file.read('weight')).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(bytesSource(FILE).read(FILE.length - 1, 2)).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('validates through the source: a truncated Blob gives INCOMPLETE_BUFFER, a tiny one HEADER_TOO_SMALL', async () => {
    await expect(openSafetensors(new Blob([FILE.subarray(0, FILE.length - 1)]))).rejects.toMatchObject({
      code: 'INCOMPLETE_BUFFER',
    });
    await expect(openSafetensors(new Blob([FILE.subarray(0, 5)]))).rejects.toMatchObject({
      code: 'HEADER_TOO_SMALL',
    });
  });
});

describe('readSafetensors', () => {
  it('reads every tensor with one data read', async () => {
    const { source, reads } = counting(blobSource(new Blob([FILE])));
    const { tensors, metadata, header } = await readSafetensors(source);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()]).toEqual(['ids', 'weight', 'half', 'empty']);
    expect(reads.at(-1)).toEqual([header.dataOffset, header.dataByteLength]);
    expect(reads).toHaveLength(3);
    expect([...new Float32Array(tensors.get('weight')?.data.slice().buffer ?? new ArrayBuffer(0))]).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  });
});
