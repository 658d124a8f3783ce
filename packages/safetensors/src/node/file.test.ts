import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { serializeSafetensors, type TensorInput } from '../serialize-safetensors.js';
import type { LazyTensorInput } from '../serialize-stream.js';
import { openFileSource } from './file-source.js';
import { openSafetensorsFile, readSafetensorsFile } from './open-safetensors-file.js';
import { writeSafetensorsFile } from './write-safetensors-file.js';

const dir = mkdtempSync(join(tmpdir(), 'peftjs-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ramp = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => i * scale);

const TENSORS: Record<string, TensorInput> = {
  'model.layers.0.q_proj.lora_A.weight': { dtype: 'F32', shape: [4, 64], data: ramp(256) },
  'model.layers.0.q_proj.lora_B.weight': { dtype: 'F32', shape: [64, 4], data: ramp(256, -0.5) },
  'embed.weight': { dtype: 'F16', shape: [16, 8], data: new Uint16Array(128).fill(0x3c00) },
  mask: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
};
const EXPECTED = serializeSafetensors(TENSORS, { format: 'pt' });

/** Chunks of `bytes`, produced asynchronously, `size` bytes at a time. */
async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const bytesOf = (t: TensorInput) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('writeSafetensorsFile', () => {
  it('writes the same bytes as serializeSafetensors from eager, lazy and chunked data', async () => {
    const eager = join(dir, 'eager.safetensors');
    await writeSafetensorsFile(eager, TENSORS, { metadata: { format: 'pt' } });
    expect(Buffer.compare(readFileSync(eager), EXPECTED)).toBe(0);

    const pulled: string[] = [];
    async function* lazyEntries(): AsyncGenerator<[string, LazyTensorInput]> {
      for (const [name, t] of Object.entries(TENSORS)) {
        const data =
          name === 'embed.weight'
            ? () => chunks(bytesOf(t), 7)
            : async () => {
                pulled.push(name);
                return t.data;
              };
        yield [name, { dtype: t.dtype, shape: t.shape, data }];
      }
    }
    const lazy = join(dir, 'lazy.safetensors');
    await writeSafetensorsFile(lazy, lazyEntries(), { metadata: { format: 'pt' }, sync: false });
    expect(Buffer.compare(readFileSync(lazy), EXPECTED)).toBe(0);
    // Data is pulled in file order (descending dtype, then name), one tensor at a time.
    expect(pulled).toEqual([
      'model.layers.0.q_proj.lora_A.weight',
      'model.layers.0.q_proj.lora_B.weight',
      'mask',
    ]);
  });

  it('leaves no file and no temp file when validation fails, and keeps an existing file intact', async () => {
    const target = join(dir, 'kept.safetensors');
    writeFileSync(target, 'previous');
    const before = readdirSync(dir).sort();
    await expect(
      writeSafetensorsFile(target, { a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
    ).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    // Lazy data of the wrong length fails mid-stream, after the header was written.
    await expect(
      writeSafetensorsFile(target, {
        a: { dtype: 'F32', shape: [1024], data: () => chunks(new Uint8Array(4100), 1000) },
      }),
    ).rejects.toMatchObject({ code: 'SIZE_MISMATCH', message: expect.stringMatching(/needs 4096 bytes/) });
    await expect(
      writeSafetensorsFile(target, {
        a: { dtype: 'F32', shape: [1024], data: async () => new Uint8Array(8) },
      }),
    ).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(
      writeSafetensorsFile(target, {
        a: {
          dtype: 'F32',
          shape: [1],
          data: () => {
            throw new Error('source gone');
          },
        },
      }),
    ).rejects.toMatchObject({ code: 'IO_ERROR', cause: { message: 'source gone' } });
    expect(readFileSync(target, 'utf8')).toBe('previous');
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('replaces an existing file atomically and reports IO_ERROR for an unwritable folder', async () => {
    const target = join(dir, 'replace.safetensors');
    writeFileSync(target, 'old');
    await writeSafetensorsFile(target, TENSORS, { metadata: { format: 'pt' } });
    expect(Buffer.compare(readFileSync(target), EXPECTED)).toBe(0);
    await expect(writeSafetensorsFile(join(dir, 'missing', 'x.safetensors'), TENSORS)).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
  });
});

describe('openSafetensorsFile / readSafetensorsFile', () => {
  const path = join(dir, 'read.safetensors');
  writeFileSync(path, EXPECTED);

  it('reads header, metadata and tensors', async () => {
    const file = await openSafetensorsFile(path);
    try {
      expect(file.metadata).toEqual({ format: 'pt' });
      expect(file.tensorNames()).toHaveLength(4);
      expect([...(await file.readFloat32('model.layers.0.q_proj.lora_B.weight'))]).toEqual([
        ...ramp(256, -0.5),
      ]);
      expect([...(await file.readFloat32('embed.weight'))]).toEqual(new Array(128).fill(1));
    } finally {
      await file.close();
    }
    const all = await readSafetensorsFile(path);
    expect([...all.tensors.keys()].sort()).toEqual(Object.keys(TENSORS).sort());
    for (const [name, t] of Object.entries(TENSORS)) expect(all.tensors.get(name)?.data).toEqual(bytesOf(t));
  });

  it('reads only the header and the requested tensor from disk (FileHandle.read spied)', async () => {
    const probe = await open(path, 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => unknown };
    await probe.close();
    const spy = vi.spyOn(proto, 'read');
    try {
      const file = await openSafetensorsFile(path);
      const info = file.info('model.layers.0.q_proj.lora_A.weight');
      await file.read(info.name);
      await file.close();
      const reads = spy.mock.calls.map((args) => [args[3], args[2]] as [number, number]);
      const n = file.header.headerByteLength;
      expect(reads).toEqual([
        [0, 8],
        [8, n],
        [file.header.dataOffset + info.dataOffsets[0], info.byteLength],
      ]);
      expect(8 + n + info.byteLength).toBeLessThan(EXPECTED.length);
    } finally {
      spy.mockRestore();
    }
  });

  it('IO_ERROR for a missing file, a folder, a file truncated after opening, and after close', async () => {
    await expect(openSafetensorsFile(join(dir, 'nope.safetensors'))).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    await expect(openSafetensorsFile(dir)).rejects.toMatchObject({ code: 'IO_ERROR' });
    const shrinking = join(dir, 'shrink.safetensors');
    writeFileSync(shrinking, EXPECTED);
    const file = await openSafetensorsFile(shrinking);
    truncateSync(shrinking, file.header.dataOffset + 4);
    await expect(file.read('model.layers.0.q_proj.lora_B.weight')).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    await file.close();
    await expect(file.read('mask')).rejects.toMatchObject({ code: 'IO_ERROR' });
    const source = await openFileSource(path);
    await source.close();
    await expect(source.read(0, 8)).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('validation errors close the file and keep their code', async () => {
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, EXPECTED.subarray(0, EXPECTED.length - 1));
    await expect(openSafetensorsFile(bad)).rejects.toMatchObject({ code: 'INCOMPLETE_BUFFER' });
    writeFileSync(bad, new Uint8Array(3));
    await expect(readSafetensorsFile(bad)).rejects.toMatchObject({ code: 'HEADER_TOO_SMALL' });
  });
});
