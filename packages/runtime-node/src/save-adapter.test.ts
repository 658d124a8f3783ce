import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoraConfig } from '@peftjs/config';
import { writeSafetensorsFile } from '@peftjs/safetensors/node';
import { fixturePath } from '@peftjs/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { Adapter, isAdapterError, loadAdapter, mergeAdapterToDirectory, saveAdapter } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'peftjs-save-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('saveAdapter', () => {
  it('writes adapter_config.json byte for byte as PEFT and the same tensors', async () => {
    const source = fixturePath('golden', 'cases', 'opt-lora-basic', 'adapter');
    const adapter = await loadAdapter(source);
    const dir = join(scratch, 'resaved');
    await saveAdapter(dir, adapter);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(readFileSync(join(dir, 'adapter_config.json'))).toEqual(
      readFileSync(join(source, 'adapter_config.json')),
    );
    // PEFT's own file holds float32 tensors under the same keys, in the same layout: identical bytes.
    expect(readFileSync(join(dir, 'adapter_model.safetensors'))).toEqual(
      readFileSync(join(source, 'adapter_model.safetensors')),
    );
    const again = await loadAdapter(dir);
    expect(again.layers.map((l) => l.module)).toEqual(adapter.layers.map((l) => l.module));
    const error = await saveAdapter(dir, adapter).catch((e: unknown) => e);
    expect(isAdapterError(error) && error.code).toBe('OUTPUT_EXISTS');
    await adapter.close();
    await again.close();
  });

  it('reads .bin adapters', async () => {
    const adapter = await loadAdapter(fixturePath('generated', 'merge', 'opt-lora-bin', 'adapter'));
    expect(adapter.format).toBe('bin');
    expect(adapter.layers.length).toBeGreaterThan(0);
  });
});

describe('the worker pool gives the same bits as the calling thread', () => {
  it('f16 / bf16 / f32 weights, Conv1D layout, through mergeAdapterToDirectory', async () => {
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32 - 0.5;
    };
    // bfloat16 bits: the top half of a float32's bits.
    const bf16 = (n: number) => {
      const f = Float32Array.from({ length: n }, next);
      return Uint16Array.from(new Uint32Array(f.buffer), (u) => u >>> 16);
    };
    const baseDir = join(scratch, 'pool-base');
    mkdirSync(baseDir);
    await writeSafetensorsFile(
      join(baseDir, 'model.safetensors'),
      {
        'model.a.weight': { dtype: 'BF16', shape: [512, 768], data: bf16(512 * 768) },
        'model.b.weight': {
          dtype: 'F32',
          shape: [640, 512],
          data: Float32Array.from({ length: 640 * 512 }, next),
        },
        'model.c.weight': { dtype: 'BF16', shape: [768, 1536], data: bf16(768 * 1536) }, // Conv1D [in, out]
      },
      { metadata: { format: 'pt' } },
    );
    const rank = 8;
    const lora = (inF: number, out: number) => ({
      A: { dtype: 'F32' as const, shape: [rank, inF], data: Float32Array.from({ length: rank * inF }, next) },
      B: { dtype: 'F32' as const, shape: [out, rank], data: Float32Array.from({ length: out * rank }, next) },
    });
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [m, inF, out] of [
      ['a', 768, 512],
      ['b', 512, 640],
      ['c', 768, 1536],
    ] as const) {
      const { A, B } = lora(inF, out);
      tensors[`base_model.model.model.${m}.lora_A.weight`] = A;
      tensors[`base_model.model.model.${m}.lora_B.weight`] = B;
    }
    const config = createLoraConfig({ r: rank, lora_alpha: 16, target_modules: ['a', 'b', 'c'] });
    const adapterDir = join(scratch, 'pool-adapter');
    await saveAdapter(adapterDir, Adapter.create({ config, tensors }));
    const outs = [];
    for (const threads of [1, 3]) {
      const outDir = join(scratch, `pool-out-${threads}`);
      const result = await mergeAdapterToDirectory({ baseDir, adapterDir, outDir, threads });
      expect(result.changed).toBe(3);
      outs.push(readFileSync(join(outDir, 'model.safetensors')));
    }
    expect(outs[0]?.equals(outs[1] as Buffer)).toBe(true);
    expect(outs[0]?.equals(readFileSync(join(baseDir, 'model.safetensors')))).toBe(false);
  });
});
