import { readSafetensors, toFloat32 } from '@peftjs/safetensors';
import { maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { fixtureFolder, mergeCases, openCase, readFixtureTensors } from './fixture-folder.test.helper.js';
import { createMemoryWriter, type MergeProgress, mergeAdapter, readAllBytes } from './index.js';

const cases = mergeCases();

describe('mergeAdapter on every golden and generated merge case', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.some((c) => c.id.endsWith('-sharded'))).toBe(true);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s matches PEFT merge_and_unload()', async (_id, c) => {
    const { adapter, base } = await openCase(c);
    const writer = createMemoryWriter();
    const progress: MergeProgress[] = [];
    const result = await mergeAdapter({ base, adapter, writer, onProgress: (p) => progress.push(p) });
    const expected = await readFixtureTensors(...c.merged);
    const baseFolder = fixtureFolder(...c.base);

    // Same weight files (sharding) and index bytes as the base.
    expect(result.weightFiles).toEqual(base.weightFiles);
    if (base.index !== undefined) {
      expect(writer.files.get(base.index.name)).toEqual(await readAllBytes(baseFolder, base.index.name));
    }
    let changed = 0;
    for (const file of base.weightFiles) {
      const bytes = writer.files.get(file);
      if (bytes === undefined) throw new Error(`${file} was not written`);
      const out = await readSafetensors(bytes);
      const original = await readSafetensors(await readAllBytes(baseFolder, file));
      expect(out.metadata).toEqual(original.metadata);
      // Same names, dtypes and shapes, in the same order.
      expect(out.header.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(
        original.header.tensors.map((t) => [t.name, t.dtype, t.shape]),
      );
      for (const [name, tensor] of out.tensors) {
        const want = expected.get(name);
        if (want === undefined) throw new Error(`merged.safetensors has no ${name}`);
        expect(tensor.dtype).toBe(want.dtype);
        if (tensor.dtype === 'F32') {
          expect(maxAbsDiff(toFloat32(tensor), toFloat32(want)), name).toBeLessThanOrEqual(TOLERANCE.weights);
        } else {
          // f16 / bf16: the kernels reproduce PyTorch's rounding, so we require identical bits (stricter than 1 ulp).
          expect(tensor.data, name).toEqual(want.data);
        }
        if (!bytesEqual(tensor.data, original.tensors.get(name)?.data)) changed++;
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(result.changed).toBeGreaterThanOrEqual(changed);
    // Other files of the base folder are copied byte for byte; weights of other formats are not.
    expect(result.copiedFiles).toContain('config.json');
    for (const name of result.copiedFiles) {
      expect(writer.files.get(name)).toEqual(await readAllBytes(baseFolder, name));
      expect(name).not.toMatch(/\.(safetensors|onnx|data|bin)$/);
    }
    expect(progress.length).toBe(result.tensors);
    expect(progress.at(-1)).toMatchObject({ done: result.tensors, total: result.tensors });
    expect(progress.filter((p) => p.changed).length).toBe(result.changed);
    await adapter.close();
    await base.close();
  });
});

function bytesEqual(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}
