import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { branchedModel } from '../graph/branched-model.test.helper.js';
import { DataType } from '../model/types.js';
import {
  f32,
  gemmModel,
  halfModel,
  index,
  lowRankFeeds,
  matmulModel,
  runModel,
  transposed,
  values,
} from './dynamic.test.helper.js';
import { injectAdapterBranches } from './inject-adapter-branches.js';

const IN = 4;
const OUT = 3;
const W = values(OUT * IN, 11);
const BIAS = values(OUT, 12);
const X = values(2 * 2 * IN, 13);
const x = () => f32(X, [2, 2, IN]);

/** x·Wᵀ + b for each of the 4 (row, position) vectors, with optional input and output scales. */
function linear(w: Float32Array, b: Float32Array, scaleIn?: Float32Array, scaleOut?: Float32Array): number[] {
  const out: number[] = [];
  for (let t = 0; t < 4; t++) {
    for (let o = 0; o < OUT; o++) {
      let y = b[o] as number;
      for (let i = 0; i < IN; i++)
        y += (X[t * IN + i] as number) * (scaleIn?.[i] ?? 1) * (w[o * IN + i] as number);
      out.push(y * (scaleOut?.[o] ?? 1));
    }
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return a.length === b.length ? m : Number.POSITIVE_INFINITY;
}

describe('IA³ branches', () => {
  it('scale the input of feed-forward modules and the output (after the bias) of others, per row', async () => {
    const base = await runModel(matmulModel(IN, OUT, W, BIAS), { x: x() });
    const { model, branches } = await injectAdapterBranches(matmulModel(IN, OUT, W, BIAS), [
      { module: 'fc', kind: 'ia3', feedforward: true },
      { module: 'fc', kind: 'ia3' },
    ]);
    expect(branches.map((b) => b.inputs)).toEqual([{ ia3: 'ia3.0' }, { ia3: 'ia3.1' }]);
    const lIn = values(IN, 14);
    const lOut = values(OUT, 15);
    const ones = (n: number) => new Float32Array(n).fill(1);
    const run = (a: Float32Array, b: Float32Array, slots: number, idx: number[]) =>
      runModel(model, {
        x: x(),
        'ia3.0': f32(a, [slots, IN]),
        'ia3.1': f32(b, [slots, OUT]),
        adapter_index: index(idx),
      });
    expect(await run(ones(IN), ones(OUT), 1, [0, 0])).toEqual(base);
    expect(maxDiff(await run(lIn, lOut, 1, [0, 0]), linear(W, BIAS, lIn, lOut))).toBeLessThan(1e-5);
    // row 0 unscaled (slot 1 = ones), row 1 scaled
    const mixed = await run(
      Float32Array.of(...lIn, ...ones(IN)),
      Float32Array.of(...lOut, ...ones(OUT)),
      2,
      [1, 0],
    );
    expect(mixed.subarray(0, 2 * OUT)).toEqual(base.subarray(0, 2 * OUT));
    expect(maxDiff(mixed.subarray(2 * OUT), linear(W, BIAS, lIn, lOut).slice(2 * OUT))).toBeLessThan(1e-5);
  });
});

describe('FLOAT16 models', () => {
  // onnxruntime's CPU provider runs FLOAT16 nodes in float32 between Casts it inserts, and drops the rounding of a
  // Cast pair (x → f16 → f32) whose f16 value nothing else reads; the branch reads x, so that rounding stays and a
  // disabled branch matches the base within float16 precision rather than bit for bit
  it('compute the branch in float32 and add it in the model’s type', async () => {
    const base = await runModel(halfModel(IN, OUT, W, BIAS), { x: x() });
    const { model } = await injectAdapterBranches(halfModel(IN, OUT, W, BIAS), [
      { module: 'fc', kind: 'lora' },
    ]);
    const lora = { a: values(2 * IN, 16), b: values(OUT * 2, 17), r: 2, s: 2 };
    const run = (slots: (typeof lora)[][]) =>
      runModel(model, { x: x(), ...rename(lowRankFeeds(IN, OUT, slots)), adapter_index: index([0, 0]) });
    expect(maxDiff(await run([[]]), base)).toBeLessThan(2e-3);
    const delta = new Float32Array(OUT * IN);
    for (let o = 0; o < OUT; o++)
      for (let i = 0; i < IN; i++)
        for (let k = 0; k < 2; k++)
          delta[o * IN + i] =
            (delta[o * IN + i] as number) +
            2 * (lora.b[o * 2 + k] as number) * (lora.a[k * IN + i] as number);
    const merged = W.map((v, i) => v + (delta[i] as number));
    expect(maxDiff(await run([[lora]]), linear(merged, BIAS))).toBeLessThan(1e-2);
  });
});

function rename(feeds: { A: ReturnType<typeof f32>; B: ReturnType<typeof f32> }) {
  return { 'lora.0.A': feeds.A, 'lora.0.B': feeds.B };
}

describe('replace branches (modules_to_save)', () => {
  it('feed the weight and bias in the operator’s layout and drop the initializers nothing reads', async () => {
    const base = await runModel(gemmModel(IN, OUT, W, BIAS), { x: x() });
    const { model, branches } = await injectAdapterBranches(gemmModel(IN, OUT, W, BIAS), [
      { module: 'fc', kind: 'replace', weight: true, bias: true },
    ]);
    const [branch] = branches;
    if (!branch) throw new Error('no branch');
    expect(branch.inputs).toEqual({ weight: 'replace.0.weight', bias: 'replace.0.bias' });
    expect([branch.weightLayout, branch.weightType, branch.biasType]).toEqual([
      'out_in',
      DataType.FLOAT,
      DataType.FLOAT,
    ]);
    expect(model.graph.initializer.map((t) => t.name)).not.toContain('fc.weight');
    expect(model.graph.initializer.map((t) => t.name)).not.toContain('fc.bias');
    const weight = await branch.readBaseWeight();
    expect([weight.rows, weight.cols, weight.layout]).toEqual([OUT, IN, 'out_in']);
    const run = (w: Float32Array, b: Float32Array) =>
      runModel(model, {
        x: x(),
        'replace.0.weight': f32(w, [OUT, IN]),
        'replace.0.bias': f32(b, [OUT]),
        adapter_index: index([0, 0]),
      });
    expect(await run(weight.data, (await branch.readBaseBias()) as Float32Array)).toEqual(base);
    const w2 = values(OUT * IN, 18);
    const b2 = values(OUT, 19);
    expect(maxDiff(await run(w2, b2), linear(w2, b2))).toBeLessThan(1e-5);
  });

  it('read a MatMul weight as the operator sees it ([in, out])', async () => {
    const { branches } = await injectAdapterBranches(matmulModel(IN, OUT, W, BIAS), [
      { module: 'fc', kind: 'replace', weight: true },
    ]);
    const weight = await branches[0]?.readBaseWeight();
    expect(weight?.layout).toBe('in_out');
    expect(weight?.data).toEqual(transposed(W, OUT, IN));
  });
});

describe('modules read inside If subgraphs', () => {
  it('get a branch in every subgraph, fed by the same top-level inputs', async () => {
    const { model, branches } = await injectAdapterBranches(
      branchedModel('flag', 2, transposed(W, OUT, IN), IN, OUT),
      [{ module: 'model.fc', kind: 'lora' }],
    );
    expect(branches[0]?.location.uses).toHaveLength(2);
    const lora = { a: values(2 * IN, 20), b: values(OUT * 2, 21), r: 2, s: 1 };
    const x2 = X.subarray(0, 2 * IN);
    const run = (flag: number, slots: (typeof lora)[][], idx: number[]) =>
      runModel(model, {
        flag: new ort.Tensor('bool', new Uint8Array([flag]), []),
        x: f32(x2, [2, IN]),
        ...rename(lowRankFeeds(IN, OUT, slots)),
        adapter_index: index(idx),
      });
    const delta = new Float32Array(OUT * IN);
    for (let o = 0; o < OUT; o++)
      for (let i = 0; i < IN; i++)
        for (let k = 0; k < 2; k++)
          delta[o * IN + i] =
            (delta[o * IN + i] as number) + (lora.b[o * 2 + k] as number) * (lora.a[k * IN + i] as number);
    const merged = W.map((v, i) => v + (delta[i] as number));
    const plain = (w: Float32Array, r: number) =>
      Array.from({ length: OUT }, (_, o) =>
        [...Array(IN).keys()].reduce((s, i) => s + (x2[r * IN + i] as number) * (w[o * IN + i] as number), 0),
      );
    for (const flag of [0, 1]) {
      // row 0 with the adapter, row 1 without
      const y = await run(flag, [[lora], []], [0, 1]);
      expect(maxDiff(y, [...plain(merged, 0), ...plain(W, 1)])).toBeLessThan(1e-5);
    }
  });
});
