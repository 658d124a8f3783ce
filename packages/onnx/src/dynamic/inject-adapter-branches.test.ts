import { describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import { decodeModel, encodeModel } from '../model/codec.js';
import type { ModelProto } from '../model/types.js';
import {
  A1,
  A2,
  BATCH,
  BIAS,
  embeddingModel,
  f32,
  gemmModel,
  IN,
  index,
  lowRankFeeds,
  matmulModel,
  OUT,
  runModel,
  SEQ,
  values,
  W,
  X,
} from './dynamic.test.helper.js';
import { injectAdapterBranches } from './inject-adapter-branches.js';

type Term = typeof A1;

/** PEFT's forward for one row: x·Wᵀ ⊙ g + b + Σ s·(x·Aᵀ)·Bᵀ (g = 1 without DoRA). */
function reference(row: number, terms: readonly Term[], g?: Float32Array): number[] {
  const out: number[] = [];
  for (let t = 0; t < SEQ; t++) {
    const x = X.subarray((row * SEQ + t) * IN, (row * SEQ + t + 1) * IN);
    for (let o = 0; o < OUT; o++) {
      let y = 0;
      for (let i = 0; i < IN; i++) y += (x[i] as number) * (W[o * IN + i] as number);
      y = y * (g?.[o] ?? 1) + (BIAS[o] as number);
      for (const { a, b, r, s } of terms) {
        for (let k = 0; k < r; k++) {
          let xa = 0;
          for (let i = 0; i < IN; i++) xa += (x[i] as number) * (a[k * IN + i] as number);
          y += s * xa * (b[o * r + k] as number) * (g?.[o] ?? 1);
        }
      }
      out.push(y);
    }
  }
  return out;
}

function rows(y: Float32Array, row: number): Float32Array {
  return y.subarray(row * SEQ * OUT, (row + 1) * SEQ * OUT);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  let max = 0;
  for (let i = 0; i < got.length; i++)
    max = Math.max(max, Math.abs((got[i] as number) - (want[i] as number)));
  expect(max).toBeLessThan(tol);
}

async function rewrite(model: ModelProto, dora = false) {
  const copy = decodeModel(encodeModel(model));
  return injectAdapterBranches(copy, [{ module: 'fc', kind: 'lora', dora }]);
}

describe('injectAdapterBranches: LoRA on a MatMul + Add', () => {
  it('adds x·A·B per row after the bias; R = 0 and "__base__" rows give the base output bit for bit', async () => {
    const base = matmulModel(IN, OUT, W, BIAS);
    const yBase = await runModel(base, { x: f32(X, [BATCH, SEQ, IN]) });
    const { model, branches, adapterIndexInput } = await rewrite(base);
    expect(branches[0]?.inputs).toEqual({ A: 'lora.0.A', B: 'lora.0.B' });
    expect(adapterIndexInput).toBe('adapter_index');
    const run = (slots: Term[][], idx: number[]) => {
      const { A, B } = lowRankFeeds(IN, OUT, slots);
      return runModel(model, {
        x: f32(X, [BATCH, SEQ, IN]),
        'lora.0.A': A,
        'lora.0.B': B,
        adapter_index: index(idx),
      });
    };
    expect(await run([[]], [0, 0])).toEqual(yBase);
    const one = await run([[A1]], [0, 0]);
    for (const r of [0, 1]) expectClose(rows(one, r), reference(r, [A1]));
    const sum = await run([[A1, A2]], [0, 0]);
    for (const r of [0, 1]) expectClose(rows(sum, r), reference(r, [A1, A2]));
    // mixed batch: row 0 adapter 2, row 1 adapter 1; then adapter 1 and the base model
    const two = await run([[A1], [A2]], [1, 0]);
    const only2 = await run([[A2]], [0, 0]);
    expectClose(rows(two, 0), rows(only2, 0), 1e-6);
    expectClose(rows(two, 1), rows(one, 1), 1e-6);
    const withBase = await run([[A1], []], [0, 1]);
    expectClose(rows(withBase, 0), rows(one, 0), 1e-6);
    expect(rows(withBase, 1)).toEqual(rows(yBase, 1));
  });

  it('applies DoRA factors to x·W only, before the bias', async () => {
    const g = Float32Array.from({ length: OUT }, (_, o) => 0.5 + o / 4);
    const { model, branches } = await rewrite(matmulModel(IN, OUT, W, BIAS), true);
    expect(branches[0]?.inputs.g).toBe('lora.0.g');
    const { A, B } = lowRankFeeds(IN, OUT, [[A1]]);
    // B folds g into its columns, as buildAdapterFeeds does
    const Bg = new Float32Array(B.data as Float32Array).map((v, i) => v * (g[i % OUT] as number));
    const y = await runModel(model, {
      x: f32(X, [BATCH, SEQ, IN]),
      'lora.0.A': A,
      'lora.0.B': f32(Bg, B.dims),
      'lora.0.g': f32(g, [1, OUT]),
      adapter_index: index([0, 0]),
    });
    for (const r of [0, 1]) expectClose(rows(y, r), reference(r, [A1], g));
  });
});

describe('injectAdapterBranches: exports that flatten rows (Reshape → Gemm with C)', () => {
  it('maps flattened rows back to batch rows, and keeps C out of the DoRA factor', async () => {
    const base = gemmModel(IN, OUT, W, BIAS);
    const yBase = await runModel(base, { x: f32(X, [BATCH, SEQ, IN]) });
    const { model } = await rewrite(base, true);
    const g = Float32Array.from({ length: 2 * OUT }, (_, i) => 0.75 + i / 8);
    const { A, B } = lowRankFeeds(IN, OUT, [[A1], []]);
    const Bg = new Float32Array(B.data as Float32Array).map((v, i) => v * (g[i % OUT] as number));
    const run = (feeds: Record<string, ReturnType<typeof f32>>, idx: number[]) =>
      runModel(model, { x: f32(X, [BATCH, SEQ, IN]), ...feeds, adapter_index: index(idx) });
    const y = await run({ 'lora.0.A': A, 'lora.0.B': f32(Bg, B.dims), 'lora.0.g': f32(g, [2, OUT]) }, [1, 0]);
    expectClose(rows(y, 1), reference(1, [A1], g.subarray(0, OUT)));
    expectClose(rows(y, 0), reference(0, [], g.subarray(OUT)));
    const empty = lowRankFeeds(IN, OUT, [[]]);
    const off = await run(
      { 'lora.0.A': empty.A, 'lora.0.B': empty.B, 'lora.0.g': f32(new Float32Array(OUT).fill(1), [1, OUT]) },
      [0, 0],
    );
    expect(off).toEqual(yBase);
  });
});

describe('injectAdapterBranches: embeddings', () => {
  it('adds Aᵀ[ids]·B per row, for batch ids and ids broadcast over the batch', async () => {
    const V = 7;
    const D = 4;
    const table = values(V * D, 8);
    const ids = [1, 6, 0, 3, 3, 5];
    const lora = { a: values(2 * V, 9), b: values(D * 2, 10), r: 2, s: 1.5 };
    const { model } = await injectAdapterBranches(embeddingModel(V, D, table), [
      { module: 'embed', kind: 'lora-embedding' },
    ]);
    const { A, B } = lowRankFeeds(V, D, [[lora], []]);
    const run = (idx: readonly number[], dims: number[]) =>
      runModel(model, {
        ids: index(idx).reshape(dims),
        'lora.0.A': A,
        'lora.0.B': B,
        adapter_index: index([0, 1]),
      });
    const expected = (id: number, withLora: boolean) =>
      Array.from({ length: D }, (_, d) => {
        let y = table[id * D + d] as number;
        if (withLora)
          for (let k = 0; k < 2; k++)
            y += 1.5 * (lora.a[k * V + id] as number) * (lora.b[d * 2 + k] as number);
        return y;
      });
    const y = await run(ids, [2, 3]);
    expectClose(y, [
      ...ids.slice(0, 3).flatMap((id) => expected(id, true)),
      ...ids.slice(3).flatMap((id) => expected(id, false)),
    ]);
    // position ids [1, seq] broadcast over a batch of 2: each batch row gets its own slot
    const positions = await run([2, 4, 6], [1, 3]);
    expectClose(positions, [
      ...[2, 4, 6].flatMap((id) => expected(id, true)),
      ...[2, 4, 6].flatMap((id) => expected(id, false)),
    ]);
  });
});

describe('injectAdapterBranches: errors', () => {
  it('refuses duplicate and mismatched targets and leaves the model unchanged', async () => {
    const model = matmulModel(IN, OUT, W, BIAS);
    const before = encodeModel(model);
    const codeOf = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (e) {
        return isOnnxError(e) ? e.code : e;
      }
      return 'no error';
    };
    expect(
      await codeOf(() =>
        injectAdapterBranches(model, [
          { module: 'fc', kind: 'lora' },
          { module: 'fc', kind: 'lora', dora: true },
        ]),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await codeOf(() => injectAdapterBranches(model, [{ module: 'fc', kind: 'ia3', dora: true }])),
    ).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => injectAdapterBranches(model, [{ module: 'fc', kind: 'lora-embedding' }]))).toBe(
      'TARGET_NOT_FOUND',
    );
    expect(
      await codeOf(() =>
        injectAdapterBranches(model, [
          { module: 'fc', kind: 'lora' },
          { module: 'nowhere', kind: 'lora' },
        ]),
      ),
    ).toBe('TARGET_NOT_FOUND');
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(before))).toBe(true);
  });
});
