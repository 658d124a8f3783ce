import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
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
import type { AdapterBranchTarget, AdapterRows } from './types.js';

const TERMS = [A1, A2];

async function rewrite(model: ModelProto, targets: AdapterBranchTarget[], rows: AdapterRows) {
  return injectAdapterBranches(decodeModel(encodeModel(model)), targets, { rows });
}

/** The uniform feed of a one-slot per-row feed: the same values without the slot dimension. */
function squeeze(t: ort.Tensor, axis: number): ort.Tensor {
  return f32(
    t.data as Float32Array,
    t.dims.filter((_, i) => i !== axis),
  );
}

/** Runs the per-row rewrite with every row on one slot and the uniform rewrite with the same adapter. */
async function bothVariants(
  base: ModelProto,
  target: AdapterBranchTarget,
  input: Record<string, ort.Tensor>,
  inF: number,
  outF: number,
  extra: Record<string, Float32Array> = {},
) {
  const perRow = await rewrite(base, [target], 'per-row');
  const uniform = await rewrite(base, [target], 'uniform');
  const { A, B } = lowRankFeeds(inF, outF, [TERMS]);
  const slotted: Record<string, ort.Tensor> = {};
  const flat: Record<string, ort.Tensor> = {};
  for (const [name, v] of Object.entries(extra)) {
    slotted[name] = f32(v, [1, v.length]);
    flat[name] = f32(v, [v.length]);
  }
  const yPerRow = await runModel(perRow.model, {
    ...input,
    ...slotted,
    'lora.0.A': A,
    'lora.0.B': B,
    adapter_index: index(new Array(BATCH).fill(0)),
  });
  const yUniform = await runModel(uniform.model, {
    ...input,
    ...flat,
    'lora.0.A': squeeze(A, 1),
    'lora.0.B': squeeze(B, 0),
  });
  return { perRow, uniform, yPerRow, yUniform };
}

/** Nodes the rewrite added for branch `label` (their names carry it). */
function branchNodes(model: ModelProto, label: string): number {
  return model.graph.node.filter((n) => n.name.startsWith(`peft_dynamic/${label}/`)).length;
}

describe("injectAdapterBranches({ rows: 'uniform' })", () => {
  it('adds (x·A)·B in at most 4 nodes, no adapter index; logits equal the per-row variant bit for bit', async () => {
    const base = matmulModel(IN, OUT, W, BIAS);
    const input = { x: f32(X, [BATCH, SEQ, IN]) };
    const { perRow, uniform, yPerRow, yUniform } = await bothVariants(
      base,
      { module: 'fc', kind: 'lora' },
      input,
      IN,
      OUT,
    );
    expect(uniform.rows).toBe('uniform');
    expect(uniform.adapterIndexInput).toBeUndefined();
    expect(uniform.model.graph.input.map((i) => i.name)).toEqual(['x', 'lora.0.A', 'lora.0.B']);
    expect(
      uniform.model.graph.input.find((i) => i.name === 'lora.0.A')?.type?.tensorType?.shape?.dim,
    ).toHaveLength(2);
    const added = branchNodes(uniform.model, 'lora.0');
    expect(added).toBeLessThanOrEqual(4);
    expect(added).toBeLessThan(branchNodes(perRow.model, 'lora.0'));
    expect(uniform.model.graph.node.some((n) => n.name.startsWith('peft_dynamic/rows/'))).toBe(false);
    // the adapter changes the output, and both variants agree bit for bit
    const yBase = await runModel(base, input);
    expect(yUniform).not.toEqual(yBase);
    expect(yUniform).toEqual(yPerRow);
    // R = 0 (disabled) leaves the base output bit for bit
    const off = await runModel(uniform.model, {
      ...input,
      'lora.0.A': f32(new Float32Array(0), [IN, 0]),
      'lora.0.B': f32(new Float32Array(0), [0, OUT]),
    });
    expect(off).toEqual(yBase);
  });

  it('works on a flattened Gemm export with DoRA (2-D MatMul, factor before the bias C)', async () => {
    const base = gemmModel(IN, OUT, W, BIAS);
    const g = values(OUT, 9).map((v) => 1 + v / 4);
    const { uniform, yPerRow, yUniform } = await bothVariants(
      base,
      { module: 'fc', kind: 'lora', dora: true },
      { x: f32(X, [BATCH, SEQ, IN]) },
      IN,
      OUT,
      { 'lora.0.g': g },
    );
    expect(uniform.branches[0]?.inputs).toEqual({ A: 'lora.0.A', B: 'lora.0.B', g: 'lora.0.g' });
    expect(yUniform).toEqual(yPerRow);
    const yBase = await runModel(base, { x: f32(X, [BATCH, SEQ, IN]) });
    const identity = await runModel(uniform.model, {
      x: f32(X, [BATCH, SEQ, IN]),
      'lora.0.A': f32(new Float32Array(0), [IN, 0]),
      'lora.0.B': f32(new Float32Array(0), [0, OUT]),
      'lora.0.g': f32(new Float32Array(OUT).fill(1), [OUT]),
    });
    expect(identity).toEqual(yBase);
  });

  it('adds the term to a Gemm export as Gemm(x·A, B, C = y): 2 nodes, bit for bit as the per-row variant', async () => {
    const base = gemmModel(IN, OUT, W, BIAS);
    const input = { x: f32(X, [BATCH, SEQ, IN]) };
    const { uniform, yPerRow, yUniform } = await bothVariants(
      base,
      { module: 'fc', kind: 'lora' },
      input,
      IN,
      OUT,
    );
    const added = uniform.model.graph.node.filter((n) => n.name.startsWith('peft_dynamic/lora.0/'));
    expect(added.map((n) => n.opType)).toEqual(['MatMul', 'Gemm']);
    expect(yUniform).toEqual(yPerRow);
    // y = x·Wᵀ + b + Σ s·(x·Aᵀ)·Bᵀ over both terms (PEFT's layout: A [r, in], B [out, r]), in float64
    const yBase = await runModel(base, input);
    for (let row = 0; row < BATCH * SEQ; row++) {
      for (let o = 0; o < OUT; o++) {
        let delta = 0;
        for (const { a, b, r, s } of TERMS) {
          for (let k = 0; k < r; k++) {
            let low = 0;
            for (let i = 0; i < IN; i++) low += (X[row * IN + i] as number) * (a[k * IN + i] as number);
            delta += s * low * (b[o * r + k] as number);
          }
        }
        const at = row * OUT + o;
        expect(yUniform[at]).toBeCloseTo((yBase[at] as number) + delta, 5);
      }
    }
    // R = 0 (disabled): the Gemm's C comes through bit for bit
    const off = await runModel(uniform.model, {
      ...input,
      'lora.0.A': f32(new Float32Array(0), [IN, 0]),
      'lora.0.B': f32(new Float32Array(0), [0, OUT]),
    });
    expect(off).toEqual(yBase);
  });

  it('embeds as Gather(Aᵀ, ids)·B, equal to the per-row variant', async () => {
    const V = 7;
    const D = 4;
    const base = embeddingModel(V, D, values(V * D, 11));
    const terms = [{ a: values(2 * V, 12), b: values(D * 2, 13), r: 2, s: 1.5 }];
    const perRow = await rewrite(base, [{ module: 'embed', kind: 'lora-embedding' }], 'per-row');
    const uniform = await rewrite(base, [{ module: 'embed', kind: 'lora-embedding' }], 'uniform');
    const { A, B } = lowRankFeeds(V, D, [terms]);
    const feedsIds = { ids: new ort.Tensor('int64', BigInt64Array.of(0n, 3n, 6n, 2n), [2, 2]) };
    const yPerRow = await runModel(perRow.model, {
      ...feedsIds,
      'lora.0.A': A,
      'lora.0.B': B,
      adapter_index: index([0, 0]),
    });
    const yUniform = await runModel(uniform.model, {
      ...feedsIds,
      'lora.0.A': squeeze(A, 1),
      'lora.0.B': squeeze(B, 0),
    });
    expect(branchNodes(uniform.model, 'lora.0')).toBeLessThanOrEqual(4);
    expect(yUniform).toEqual(yPerRow);
    expect(yUniform).not.toEqual(await runModel(base, feedsIds));
  });

  it('scales by ia3 [dim] with one Mul', async () => {
    const base = matmulModel(IN, OUT, W, BIAS);
    const uniform = await rewrite(base, [{ module: 'fc', kind: 'ia3' }], 'uniform');
    const v = values(OUT, 14);
    const y = await runModel(uniform.model, { x: f32(X, [BATCH, SEQ, IN]), 'ia3.0': f32(v, [OUT]) });
    const yBase = await runModel(base, { x: f32(X, [BATCH, SEQ, IN]) });
    expect(branchNodes(uniform.model, 'ia3.0')).toBe(1);
    expect(y).toEqual(yBase.map((b, i) => b * (v[i % OUT] as number)));
  });
});
