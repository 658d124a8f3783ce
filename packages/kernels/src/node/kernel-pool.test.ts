import { afterAll, describe, expect, it } from 'vitest';
import { mergeAdalora, unmergeAdalora } from '../adalora.js';
import type { FloatDtype, Weight } from '../dtype.js';
import { isKernelError } from '../errors.js';
import { mergeLora, mergeLoraEmbedding, unmergeLora } from '../lora.js';
import { createKernelPool } from './kernel-pool.js';

/** A deterministic pseudo-random weight and LoRA pair. */
function fixture(dtype: FloatDtype, rows: number, cols: number, rank: number) {
  let seed = 12345;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const values = Float32Array.from({ length: rows * cols }, next);
  const f16 = new Uint16Array(rows * cols);
  if (dtype !== 'f32')
    for (let i = 0; i < f16.length; i++) f16[i] = (new Uint32Array(values.buffer)[i] as number) >>> 16;
  const weight: Weight = { data: dtype === 'f32' ? values : f16, dtype, rows, cols };
  const a = Float32Array.from({ length: rank * cols }, next);
  const b = Float32Array.from({ length: rows * rank }, next);
  return { weight, lora: { a, b, rank, inFeatures: cols, outFeatures: rows, scaling: 2 } };
}

const copy = (w: Weight): Weight => ({ ...w, data: w.data.slice() });

describe('createKernelPool', () => {
  const pool = createKernelPool({ threads: 3, minRowsPerThread: 8 });
  afterAll(() => pool.close());

  it('runs on WebAssembly workers in Node', () => {
    expect(pool.threads).toBe(3);
    expect(pool.backend).toBe('wasm');
  });

  it.each(['f32', 'f16', 'bf16'] as const)(
    'mergeLora / unmergeLora (%s): identical to the single-thread path',
    async (dtype) => {
      const { weight, lora } = fixture(dtype, 301, 257, 7);
      const single = copy(weight);
      mergeLora(single, lora, { backend: 'js' });
      const pooled = copy(weight);
      await pool.mergeLora(pooled, lora);
      expect(pooled.data).toEqual(single.data);
      expect(pooled.data).not.toEqual(weight.data);
      unmergeLora(single, lora);
      await pool.unmergeLora(pooled, lora);
      expect(pooled.data).toEqual(single.data);
    },
  );

  it('works in place on SharedArrayBuffer-backed weights, with fan_in_fan_out and embeddings', async () => {
    const { weight, lora } = fixture('f16', 160, 96, 4);
    const sab = new Uint16Array(new SharedArrayBuffer(weight.data.byteLength));
    sab.set(weight.data as Uint16Array);
    const shared: Weight = { ...weight, data: sab };
    const single = copy(weight);
    // A [4, 160], B [96, 4]: the (in=160, out=96) Conv1D / (V=160, D=96) embedding shapes
    const conv1d = { ...lora, a: lora.b, b: lora.a, inFeatures: 160, outFeatures: 96, fanInFanOut: true };
    mergeLora(single, conv1d);
    await pool.mergeLora(shared, conv1d);
    expect(shared.data).toEqual(single.data);
    const emb = { a: lora.b, b: lora.a, rank: 4, numEmbeddings: 160, embeddingDim: 96, scaling: 0.5 };
    mergeLoraEmbedding(single, emb);
    await pool.mergeLoraEmbedding(shared, emb);
    expect(shared.data).toEqual(single.data);
  });

  it('AdaLoRA merge/unmerge and concurrent calls (queued) match the single-thread path', async () => {
    const { weight, lora } = fixture('f32', 128, 64, 5);
    const ada = { ...lora, e: new Float32Array([0.5, -1, 0, 2, 0.25]), ranknum: 6 };
    const single = copy(weight);
    mergeAdalora(single, ada);
    mergeLora(single, lora);
    unmergeAdalora(single, ada);
    const pooled = copy(weight);
    await Promise.all([
      pool.mergeAdalora(pooled, ada),
      pool.mergeLora(pooled, lora),
      pool.unmergeAdalora(pooled, ada),
    ]);
    expect(pooled.data).toEqual(single.data);
  });

  it('rejects bad shapes before starting and closed pools afterwards', async () => {
    const { weight, lora } = fixture('f32', 16, 16, 2);
    expect(() => pool.mergeLora({ ...weight, rows: 15 }, lora)).toThrow(/shape/);
    const other = createKernelPool({ threads: 2 });
    await other.close();
    await expect(other.mergeLora(weight, lora)).rejects.toSatisfy(
      (e) => isKernelError(e) && e.code === 'POOL_CLOSED',
    );
    expect(() => createKernelPool({ threads: 0 })).toThrow(/threads/);
  });
});
