import { describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import {
  adapterDirs,
  checkpointLayout,
  checkpointWeights,
  EMBEDDINGS,
  EXPORTS,
  goldenCaseArchs,
  loadBase,
  readAdapter,
} from '../golden.test.helper.js';
import type { ExternalDataSource } from '../model/external-data.js';
import { readTensorFloat32 } from '../model/tensor-data.js';
import type { BaseWeight, LocateStrategy, WeightLocation } from './types.js';
import { WeightLocator } from './weight-locator.js';

const strategiesSeen = new Set<LocateStrategy>();

/** The located initializer, in the checkpoint's layout, equals the checkpoint's weight exactly. */
async function expectBaseValues(
  loc: WeightLocation,
  source: ExternalDataSource,
  base: BaseWeight,
  baseLayout: 'in_out' | 'out_in',
): Promise<void> {
  const values = await readTensorFloat32(loc.tensor, source);
  const [rows, cols] = loc.tensor.dims as [number, number];
  let asBase = values;
  if (loc.layout !== baseLayout) {
    asBase = new Float32Array(values.length);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) asBase[j * rows + i] = values[i * cols + j] as number;
    expect([cols, rows]).toEqual([...base.shape]);
  } else expect([rows, cols]).toEqual([...base.shape]);
  expect(
    Buffer.compare(
      Buffer.from(asBase.buffer),
      Buffer.from(base.data.buffer, base.data.byteOffset, base.data.byteLength),
    ),
  ).toBe(0);
  // in/out features follow the module's own shapes
  const [outF, inF] = baseLayout === 'out_in' ? base.shape : [...base.shape].reverse();
  expect([loc.outFeatures, loc.inFeatures]).toEqual([outF, inF]);
}

describe('WeightLocator on every golden case', () => {
  for (const { caseName, arch } of goldenCaseArchs()) {
    for (const file of EXPORTS[arch] ?? []) {
      it(`${caseName} / ${file}: every targeted module is located with the base values`, async () => {
        const { model, source } = loadBase(arch, file);
        const baseWeight = await checkpointWeights(arch);
        const locator = new WeightLocator(model, { source, baseWeight });
        const modules = new Set<string>();
        for (const dir of adapterDirs(caseName)) {
          const adapter = await readAdapter(dir);
          for (const m of [...adapter.layers, ...adapter.replaced]) modules.add(m);
        }
        expect(modules.size).toBeGreaterThan(0);
        const locations = await locator.locateAll(
          [...modules].map((module) => ({ module, kind: 'linear' as const })),
        );
        for (const loc of locations) {
          strategiesSeen.add(loc.strategy);
          expect(['MatMul', 'Gemm']).toContain(loc.op);
          const base = (await baseWeight(loc.module)) as BaseWeight;
          await expectBaseValues(loc, source, base, checkpointLayout(arch, loc.module));
        }
      });
    }
  }

  for (const arch of Object.keys(EXPORTS)) {
    for (const file of EXPORTS[arch] ?? []) {
      it(`${arch} / ${file}: embeddings are located as Gathers with the base values`, async () => {
        const { model, source } = loadBase(arch, file);
        const baseWeight = await checkpointWeights(arch);
        const locator = new WeightLocator(model, { source, baseWeight });
        for (const module of EMBEDDINGS[arch] ?? []) {
          const loc = await locator.locate(module, { kind: 'embedding' });
          strategiesSeen.add(loc.strategy);
          expect(loc.op).toBe('Gather');
          expect(loc.layout).toBe('in_out');
          await expectBaseValues(loc, source, (await baseWeight(module)) as BaseWeight, 'in_out');
        }
      });
    }
  }

  it('uses each strategy somewhere in the golden exports', () => {
    expect([...strategiesSeen].sort()).toEqual([
      'initializer-name',
      'name-scopes',
      'node-scope',
      'value-match',
    ]);
  });
});

describe('WeightLocator details', () => {
  it('reports a TorchScript scope match on an anonymous transposed initializer, and the bias behind an Identity', async () => {
    const { model } = loadBase('opt', 'model.onnx');
    const loc = await new WeightLocator(model).locate('model.decoder.layers.0.self_attn.q_proj');
    expect(loc).toMatchObject({
      initializer: 'onnx::MatMul_363',
      op: 'MatMul',
      layout: 'in_out',
      node: '/decoder/layers.0/self_attn/q_proj/MatMul',
      strategy: 'node-scope',
      inFeatures: 32,
      outFeatures: 32,
    });
    // TorchScript deduplicated the all-zero biases into one initializer read through Identity nodes
    expect(loc.bias?.initializer).toBe('model.decoder.final_layer_norm.bias');
    expect(loc.bias?.path.map((n) => n.opType)).toEqual(['Identity']);
  });

  it('finds Gemm weights by name with their layout (transB=1: out_in; GPT-2 Conv1D: in_out)', async () => {
    const opt = await new WeightLocator(loadBase('opt', 'model.onnx').model).locate(
      'model.decoder.layers.1.fc1',
    );
    expect(opt).toMatchObject({
      op: 'Gemm',
      layout: 'out_in',
      strategy: 'initializer-name',
      inFeatures: 32,
      outFeatures: 64,
    });
    // equal (zero) biases were deduplicated: layer 1's bias is an Identity of layer 0's
    expect(opt.bias?.initializer).toBe('model.decoder.layers.0.fc1.bias');
    expect(opt.bias?.path.map((n) => n.output[0])).toEqual(['model.decoder.layers.1.fc1.bias']);
    const gpt2 = await new WeightLocator(loadBase('gpt2', 'model.onnx').model).locate(
      'transformer.h.0.attn.c_attn',
    );
    expect(gpt2).toMatchObject({ op: 'Gemm', layout: 'in_out', inFeatures: 32, outFeatures: 96 });
  });

  it('tells tied weights apart by kind: dynamo OPT reads lm_head.weight as the embedding', async () => {
    const { model, source } = loadBase('opt', 'model.dynamo.onnx');
    const baseWeight = await checkpointWeights('opt');
    const locator = new WeightLocator(model, { source, baseWeight });
    const embedding = await locator.locate('model.decoder.embed_tokens', { kind: 'embedding' });
    expect(embedding).toMatchObject({ initializer: 'lm_head.weight', op: 'Gather', strategy: 'value-match' });
    const head = await locator.locate('lm_head', { kind: 'linear' });
    expect(head).toMatchObject({
      initializer: 'val_208',
      op: 'MatMul',
      strategy: 'value-match',
      matchedTransposed: true,
    });
    // without a kind the name strategy takes the initializer called lm_head.weight, read by the Gather
    expect((await locator.locate('lm_head')).op).toBe('Gather');
  });

  it('lists shared readers: T5 embeddings share one table', async () => {
    const { model } = loadBase('t5', 'model.onnx');
    const loc = await new WeightLocator(model).locate('encoder.embed_tokens', { kind: 'embedding' });
    expect(loc).toMatchObject({ initializer: 'shared.weight', strategy: 'node-scope' });
    expect(loc.sharedWith).toEqual(['/decoder/embed_tokens/Gather']);
    const shared = await new WeightLocator(model).locate('shared', { kind: 'embedding' });
    expect(shared.uses.map((u) => u.node.name)).toEqual([
      '/encoder/embed_tokens/Gather',
      '/decoder/embed_tokens/Gather',
    ]);
    expect(shared.sharedWith).toEqual([]);
  });

  it('fails with TARGET_NOT_FOUND naming every missing module and what each strategy saw', async () => {
    const { model } = loadBase('opt', 'model.dynamo.onnx');
    const locator = new WeightLocator(model);
    const error = await locator
      .locateAll(['model.decoder.layers.0.self_attn.q_proj', 'model.decoder.layers.0.fc1', 'nope.module'])
      .catch((e: unknown) => e);
    expect(isOnnxError(error) && error.code).toBe('TARGET_NOT_FOUND');
    const message = (error as Error).message;
    expect(message).toContain('Cannot locate 2 of 3 modules');
    expect(message).toContain(
      '"model.decoder.layers.0.self_attn.q_proj" (no initializer "model.decoder.layers.0.self_attn.q_proj.weight"',
    );
    expect(message).toContain('no base checkpoint given for value matching');
    expect(message).toContain('"nope.module"');
    expect(message).not.toContain('"model.decoder.layers.0.fc1"');
  });
});
