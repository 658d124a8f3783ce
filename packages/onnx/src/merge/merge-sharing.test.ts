import { f16ToF32, f32ToF16, loraDelta, mergeLora } from '@peftjs/kernels';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import { loadBase } from '../golden.test.helper.js';
import { branchedModel } from '../graph/branched-model.test.helper.js';
import {
  createGraph,
  createModel,
  createNode,
  createTensor,
  createValueInfo,
  intAttribute,
} from '../graph/builders.js';
import { ModelIndex } from '../graph/model-index.js';
import { decodeModel, encodeModel } from '../model/codec.js';
import { readTensorData, readTensorFloat32 } from '../model/tensor-data.js';
import { DataType, type ModelProto } from '../model/types.js';
import { mergeIntoModel } from './merge-into-model.js';

function ramp(n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1) * scale);
}

function initializer(model: ModelProto, name: string) {
  const t = model.graph.initializer.find((x) => x.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
}

describe('shared and tied weights', () => {
  it('copies a table two modules share when only one is targeted (T5 encoder/decoder embeddings)', async () => {
    const { model } = loadBase('t5', 'model.onnx');
    const before = await readTensorFloat32(initializer(model, 'shared.weight'));
    const delta = ramp(96 * 32, 1e-2);
    const [result] = await mergeIntoModel(model, [
      { module: 'encoder.embed_tokens', kind: 'embedding', delta },
    ]);
    expect(result).toMatchObject({ initializer: 'encoder.embed_tokens.weight', copied: true });
    const gathers = model.graph.node.filter(
      (n) => n.opType === 'Gather' && n.name.endsWith('embed_tokens/Gather'),
    );
    expect(gathers.map((n) => [n.name, n.input[0]])).toEqual([
      ['/encoder/embed_tokens/Gather', 'encoder.embed_tokens.weight'],
      ['/decoder/embed_tokens/Gather', 'shared.weight'],
    ]);
    expect(await readTensorFloat32(initializer(model, 'shared.weight'))).toEqual(before);
    const merged = await readTensorFloat32(initializer(model, 'encoder.embed_tokens.weight'));
    expect(merged).toEqual(before.map((w, i) => Math.fround(w + (delta[i] as number))));
  });

  it('gives each module its own copy when both read one table, the last one keeping the original', async () => {
    const { model } = loadBase('t5', 'model.onnx');
    const results = await mergeIntoModel(model, [
      { module: 'encoder.embed_tokens', kind: 'embedding', delta: ramp(96 * 32, 1e-2) },
      { module: 'decoder.embed_tokens', kind: 'embedding', delta: ramp(96 * 32, -1e-2) },
    ]);
    expect(results.map((r) => [r.initializer, r.copied])).toEqual([
      ['encoder.embed_tokens.weight', true],
      ['shared.weight', false],
    ]);
  });

  it('changes a tied weight in place when only this module reads it (dynamo OPT lm_head and embeddings)', async () => {
    const { model, source } = loadBase('opt', 'model.dynamo.onnx');
    const baseWeight = async () => ({
      data: await readTensorFloat32(initializer(model, 'lm_head.weight'), source),
      shape: [96, 32],
    });
    const results = await mergeIntoModel(
      model,
      [
        { module: 'lm_head', kind: 'linear', delta: ramp(96 * 32, 1e-3) },
        { module: 'model.decoder.embed_tokens', kind: 'embedding', delta: ramp(96 * 32, 1e-3) },
      ],
      { source, baseWeight },
    );
    expect(results.map((r) => [r.initializer, r.copied])).toEqual([
      ['val_208', false],
      ['lm_head.weight', false],
    ]);
  });

  it('copies a deduplicated bias before scaling it (TorchScript OPT shares one zero bias through Identity nodes)', async () => {
    const { model } = loadBase('opt', 'model.onnx');
    const biasDelta = ramp(32, 0.5);
    const [result] = await mergeIntoModel(model, [
      { module: 'model.decoder.layers.0.self_attn.k_proj', biasDelta },
    ]);
    expect(result?.bias).toEqual({
      initializer: 'model.decoder.layers.0.self_attn.k_proj.bias_1',
      copied: true,
    });
    const index = new ModelIndex(model.graph);
    const add = result?.location.bias?.node;
    expect(add?.input).toContain('model.decoder.layers.0.self_attn.k_proj.bias_1');
    expect(
      await readTensorFloat32(initializer(model, 'model.decoder.layers.0.self_attn.k_proj.bias_1')),
    ).toEqual(biasDelta);
    // the shared original keeps its zeros for the layer norms and the other projections
    expect(
      Array.from(await readTensorFloat32(initializer(model, 'model.decoder.final_layer_norm.bias'))),
    ).toEqual(new Array(32).fill(0));
    expect(index.uses('model.decoder.final_layer_norm.bias').length).toBeGreaterThan(5);
  });

  it('merging a delta equals merging through the kernels callback, whatever the layout', async () => {
    const lora = {
      a: ramp(4 * 32, 0.3),
      b: ramp(32 * 4, 0.2),
      rank: 4,
      inFeatures: 32,
      outFeatures: 32,
      scaling: 2,
    };
    const module = 'model.decoder.layers.1.self_attn.v_proj';
    const viaDelta = loadBase('opt', 'model.onnx').model;
    await mergeIntoModel(viaDelta, [{ module, delta: loraDelta(lora) }]);
    const viaKernel = loadBase('opt', 'model.onnx').model;
    await mergeIntoModel(viaKernel, [
      { module, merge: (w, { fanInFanOut }) => mergeLora(w, { ...lora, fanInFanOut }) },
    ]);
    expect(Buffer.compare(encodeModel(viaDelta), encodeModel(viaKernel))).toBe(0);
  });
});

describe('atomic failures', () => {
  it('leaves the model untouched when a later target is invalid or its callback throws', async () => {
    const { model, bytes } = loadBase('opt', 'model.onnx');
    const good = { module: 'model.decoder.layers.0.self_attn.q_proj', delta: ramp(1024, 1) };
    for (const [bad, code] of [
      [{ module: 'model.decoder.layers.0.fc1', delta: new Float32Array(5) }, 'INVALID_ARGUMENT'],
      [{ module: 'model.decoder.layers.0.fc1', delta: ramp(2048, 1), merge: () => {} }, 'INVALID_ARGUMENT'],
      [
        {
          module: 'model.decoder.layers.0.fc1',
          merge: () => {
            throw new Error('boom');
          },
        },
        'MERGE_FAILED',
      ],
      [{ module: 'model.decoder.layers.9.fc1', delta: ramp(2048, 1) }, 'TARGET_NOT_FOUND'],
      [
        { module: 'model.decoder.embed_tokens', kind: 'embedding' as const, biasDelta: ramp(32, 1) },
        'INVALID_ARGUMENT',
      ],
    ] as const) {
      const error = await mergeIntoModel(model, [good, bad]).catch((e: unknown) => e);
      expect(isOnnxError(error) && error.code).toBe(code);
      expect(Buffer.compare(encodeModel(model), bytes)).toBe(0);
    }
  });
});

/** y = x · Cast(W16) and z = x · Cast(W16) through another node: a FLOAT16 weight shared by two MatMuls. */
function halfModel(w: Float32Array): ModelProto {
  const graph = createGraph('half');
  graph.input.push(createValueInfo('x', DataType.FLOAT, [2, 4]));
  graph.output.push(
    createValueInfo('y', DataType.FLOAT, [2, 3]),
    createValueInfo('z', DataType.FLOAT, [2, 3]),
  );
  graph.initializer.push(createTensor('onnx::MatMul_7', DataType.FLOAT16, [4, 3], f32ToF16(w)));
  graph.node.push(
    createNode({
      opType: 'Cast',
      name: '/Cast',
      inputs: ['onnx::MatMul_7'],
      outputs: ['w32'],
      attributes: [intAttribute('to', DataType.FLOAT)],
    }),
    createNode({ opType: 'MatMul', name: '/fc/MatMul', inputs: ['x', 'w32'], outputs: ['y'] }),
    createNode({ opType: 'MatMul', name: '/other/MatMul', inputs: ['x', 'w32'], outputs: ['z'] }),
  );
  return createModel({ graph });
}

describe('FLOAT16 weights behind a Cast', () => {
  it('computes in float32, rounds once, and keeps the Cast for the private copy', async () => {
    const w = ramp(12, 1);
    const model = decodeModel(encodeModel(halfModel(w)));
    const delta = ramp(12, 0.01); // [out=3, in=4], as nn.Linear
    const [result] = await mergeIntoModel(model, [{ module: 'fc', delta }]);
    expect(result).toMatchObject({
      copied: true,
      location: { op: 'MatMul', layout: 'in_out', strategy: 'node-scope' },
    });
    const copy = initializer(model, result?.initializer as string);
    expect(copy.dataType).toBe(DataType.FLOAT16);
    const w16 = f16ToF32(f32ToF16(w));
    const want = f32ToF16(
      Float32Array.from(w16, (v, k) => Math.fround(v + (delta[(k % 3) * 4 + Math.floor(k / 3)] as number))),
    );
    expect(new Uint16Array((await readTensorData(copy)).slice().buffer)).toEqual(want);
    const session = await ort.InferenceSession.create(encodeModel(model));
    const x = ramp(8, 1);
    const out = await session.run({ x: new ort.Tensor('float32', x, [2, 4]) });
    const matmul = (m: Float32Array) =>
      Array.from({ length: 6 }, (_, k) => {
        const [i, j] = [Math.floor(k / 3), k % 3];
        return [0, 1, 2, 3].reduce((s, t) => s + (x[i * 4 + t] as number) * (m[t * 3 + j] as number), 0);
      });
    const close = (a: ArrayLike<number>, b: number[]) =>
      b.every((v, k) => Math.abs(v - (a[k] as number)) < 1e-5);
    expect(close(out.y?.data as Float32Array, matmul(f16ToF32(want)))).toBe(true);
    expect(close(out.z?.data as Float32Array, matmul(w16))).toBe(true);
    await session.release();
  });
});

describe('weights read inside If subgraphs', () => {
  it('finds the uses in both branches and merges the shared top-level initializer once', async () => {
    const model = branchedModel('use_cache_branch', 1, new Float32Array([1, 2, 3, 4]), 2, 2);
    const [result] = await mergeIntoModel(model, [
      { module: 'model.fc', delta: new Float32Array([1, 0, 0, -1]) },
    ]);
    expect(result?.copied).toBe(false);
    expect(result?.location.uses.map((u) => u.node.name)).toEqual([
      '/with_past/model/fc/MatMul',
      '/no_past/model/fc/MatMul',
    ]);
    const session = await ort.InferenceSession.create(encodeModel(model));
    for (const flag of [0, 1]) {
      const out = await session.run({
        use_cache_branch: new ort.Tensor('bool', new Uint8Array([flag]), []),
        x: new ort.Tensor('float32', new Float32Array([1, 1]), [1, 2]),
      });
      // W + ΔWᵀ = [[2, 2], [3, 3]]
      expect(Array.from(out.y?.data as Float32Array)).toEqual([5, 5]);
    }
    await session.release();
  });

  it('copies for one branch only when only that scope is targeted, cloning nothing else', async () => {
    const model = branchedModel('use_cache_branch', 1, new Float32Array([1, 2, 3, 4]), 2, 2);
    const [result] = await mergeIntoModel(model, [
      { module: 'with_past.model.fc', delta: new Float32Array([1, 0, 0, -1]) },
    ]);
    expect(result).toMatchObject({ copied: true, initializer: 'with_past.model.fc.weight' });
    const session = await ort.InferenceSession.create(encodeModel(model));
    const run = async (flag: number) =>
      Array.from(
        (
          await session.run({
            use_cache_branch: new ort.Tensor('bool', new Uint8Array([flag]), []),
            x: new ort.Tensor('float32', new Float32Array([1, 1]), [1, 2]),
          })
        ).y?.data as Float32Array,
      );
    expect([await run(1), await run(0)]).toEqual([
      [5, 5],
      [4, 6],
    ]);
    await session.release();
  });
});
