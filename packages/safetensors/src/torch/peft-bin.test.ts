import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { readTorchCheckpoint } from './read-torch-checkpoint.js';

/**
 * Minimal safetensors reader for the oracle side of this test (kept independent of the package's reader):
 * 8-byte little-endian header length, JSON header, `data_offsets` relative to the end of the header.
 */
function readSafetensors(
  bytes: Uint8Array,
): Map<string, { dtype: string; shape: number[]; data: Uint8Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const out = new Map<string, { dtype: string; shape: number[]; data: Uint8Array }>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    out.set(name, { dtype: info.dtype, shape: info.shape, data: bytes.subarray(base + start, base + end) });
  }
  return out;
}

const root = fixturePath('generated', 'bin');
const cases = existsSync(root)
  ? readdirSync(root).filter((c) => existsSync(join(root, c, 'adapter_model.bin')))
  : [];

describe('PEFT-written adapter_model.bin equals its adapter_model.safetensors twin (fixtures/generated/bin)', () => {
  it('has at least one PEFT case to compare (the generator output must be present)', () => {
    expect(cases.length, `no <case>/adapter_model.bin under ${root}`).toBeGreaterThan(0);
  });

  for (const name of cases) {
    it(name, () => {
      const bin = readTorchCheckpoint(readFileSync(join(root, name, 'adapter_model.bin')));
      const twin = readSafetensors(readFileSync(join(root, name, 'adapter_model.safetensors')));
      expect(twin.size).toBeGreaterThan(0);
      expect([...bin.keys()].sort()).toEqual([...twin.keys()].sort());
      for (const [key, want] of twin) {
        const got = bin.get(key);
        expect({ key, dtype: got?.dtype, shape: got?.shape }).toEqual({
          key,
          dtype: want.dtype,
          shape: want.shape,
        });
        expect(Buffer.from(got?.data ?? []).equals(Buffer.from(want.data)), `bytes of ${key}`).toBe(true);
      }
    });
  }
});
