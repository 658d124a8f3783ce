import { loraDelta } from '@peftjs/kernels';
import {
  decodeModel,
  encodeModel,
  externalDataFromFiles,
  injectAdapterBranches,
  mergeIntoModel,
} from '@peftjs/onnx';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import type { Adapter } from '../adapter.js';
import type { LoraLayer } from '../adapter-layer.js';
import { BaseCheckpoint } from '../base-checkpoint.js';
import { isAdapterError } from '../errors.js';
import { fixtureFolder } from '../fixture-folder.test.helper.js';
import { buildAdapterFeeds } from './build-adapter-feeds.js';
import {
  checkpointWeights,
  openFixtureAdapter,
  prepareDynamic,
  Runner,
  readModel,
  rewrittenFiles,
} from './dynamic.test.helper.js';
import { dynamicTargets } from './dynamic-targets.js';

const OPT = { modelDir: fixturePath('golden', 'bases', 'opt'), base: ['golden', 'bases', 'opt'] };
const INPUTS = fixturePath('golden', 'bases', 'opt', 'inputs.safetensors');
const WEIGHTED = ['golden', 'cases', 'opt-weighted', 'adapters'];

/** Rows of a [2, seq, vocab] logits tensor. */
function row(logits: Float32Array, r: number): Float32Array {
  const n = logits.length / 2;
  return logits.subarray(r * n, (r + 1) * n);
}

async function codeOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return isAdapterError(e) ? e.code : e;
  }
  return 'no error';
}

for (const file of ['model.onnx', 'model.dynamo.onnx']) {
  describe(`one rewritten OPT model (${file}), adapters chosen by feeds`, () => {
    const setup = async () => {
      const a = await openFixtureAdapter([...WEIGHTED, 'a']);
      const b = await openFixtureAdapter([...WEIGHTED, 'b']);
      const { prepared, injected } = await prepareDynamic({ ...OPT, file }, [a, b]);
      const runner = await Runner.open(rewrittenFiles(prepared, injected), INPUTS);
      const run = async (selection: Parameters<typeof buildAdapterFeeds>[1]) =>
        runner.logits(await buildAdapterFeeds(injected, selection, runner.batchSize));
      return { a, b, runner, run };
    };

    it('switches a, b, a, disabled, a in one session, each run bit for bit its first', async () => {
      const { a, b, runner, run } = await setup();
      try {
        const first = { a: await run({ adapters: [a] }), b: await run({ adapters: [b] }) };
        expect(maxAbsDiff(first.a, first.b)).toBeGreaterThan(1e-3);
        expect(await run({ adapters: [a] })).toEqual(first.a);
        const off = await run({ adapters: [] });
        expect(maxAbsDiff(off, first.a)).toBeGreaterThan(1e-3);
        expect(await run({ adapters: [a] })).toEqual(first.a);
        expect(await run({ adapters: [b] })).toEqual(first.b);
        expect(await run({ adapters: [] })).toEqual(off);
      } finally {
        await runner.release();
      }
    });

    it('sums several active adapters as PEFT does (equal to merging both deltas)', async () => {
      const { a, b, runner, run } = await setup();
      try {
        const both = await run({ adapters: [a, b] });
        expect(maxAbsDiff(both, await run({ adapters: [b, a] }))).toBeLessThan(1e-5);
        expect(maxAbsDiff(both, await mergedBoth(file, [a, b]))).toBeLessThan(TOLERANCE.logits);
      } finally {
        await runner.release();
      }
    });

    it('gives each batch row its own adapter (PEFT adapter_names), "__base__" rows the base model', async () => {
      const { a, b, runner, run } = await setup();
      try {
        const onlyA = await run({ adapters: [a] });
        const onlyB = await run({ adapters: [b] });
        const off = await run({ adapters: [] });
        const mixed = await run({ perRow: [[b], [a]] });
        expect(maxAbsDiff(row(mixed, 0), row(onlyB, 0))).toBeLessThan(1e-5);
        expect(maxAbsDiff(row(mixed, 1), row(onlyA, 1))).toBeLessThan(1e-5);
        const withBase = await run({ perRow: [[a], null] });
        expect(maxAbsDiff(row(withBase, 0), row(onlyA, 0))).toBeLessThan(1e-5);
        expect(row(withBase, 1)).toEqual(row(off, 1));
        // one set per row, summed within the row
        const sums = await run({ perRow: [[a, b], []] });
        expect(maxAbsDiff(row(sums, 0), row(await run({ adapters: [a, b] }), 0))).toBeLessThan(1e-5);
      } finally {
        await runner.release();
      }
    });
  });
}

/** The reference for two active adapters: both ΔW = s·B·A summed and merged into the weights (merged mode). */
async function mergedBoth(file: string, adapters: readonly Adapter[]): Promise<Float32Array> {
  const files = readModel(OPT.modelDir, file);
  const model = decodeModel(files.bytes);
  const deltas = new Map<string, Float32Array>();
  for (const adapter of adapters) {
    for (const layer of adapter.layers as LoraLayer[]) {
      const [a, b] = await Promise.all([layer.A.float32(), layer.B.float32()]);
      const { rank, inFeatures, outFeatures, scaling } = layer;
      const delta = loraDelta({ a, b, rank, inFeatures, outFeatures, scaling });
      const sum = deltas.get(layer.module);
      if (sum) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (delta[i] as number);
      else deltas.set(layer.module, delta);
    }
  }
  const targets = [...deltas].map(([module, delta]) => ({ module, kind: 'linear' as const, delta }));
  const base = await BaseCheckpoint.open(fixtureFolder(...OPT.base));
  await mergeIntoModel(model, targets, {
    source: externalDataFromFiles(files.externalData),
    baseWeight: checkpointWeights(base),
  });
  const runner = await Runner.open({ bytes: encodeModel(model), externalData: files.externalData }, INPUTS);
  try {
    return await runner.logits();
  } finally {
    await runner.release();
  }
}

describe('buildAdapterFeeds: what a rewritten model cannot serve', () => {
  const llama = (name: string) => ({
    modelDir: fixturePath('generated', 'onnx', name),
    file: 'model.onnx',
    base: ['generated', 'merge', name, 'base'],
  });

  it('refuses layers without a branch, DoRA on a plain branch, and wrong batch sizes', async () => {
    const lora = await openFixtureAdapter(['generated', 'merge', 'llama-lora-all-linear', 'adapter']);
    const dora = await openFixtureAdapter(['generated', 'merge', 'llama-dora', 'adapter']);
    const embeddings = await openFixtureAdapter(['generated', 'merge', 'llama-lora-embeddings', 'adapter']);
    const { injected } = await prepareDynamic(llama('llama-lora-all-linear'), [lora]);
    expect(await codeOf(() => buildAdapterFeeds(injected, { adapters: [dora] }, 2))).toBe('TARGET_NOT_FOUND');
    expect(await codeOf(() => buildAdapterFeeds(injected, { adapters: [embeddings] }, 2))).toBe(
      'TARGET_NOT_FOUND',
    );
    expect(await codeOf(() => buildAdapterFeeds(injected, { perRow: [[lora]] }, 2))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => buildAdapterFeeds(injected, { adapters: [lora] }, 0))).toBe('INVALID_ARGUMENT');
    // a model rewritten for both serves both
    const { injected: both } = await prepareDynamic(llama('llama-lora-all-linear'), [lora, dora]);
    const feeds = await buildAdapterFeeds(both, { perRow: [[dora], [lora]] }, 2);
    expect(feeds[both.adapterIndexInput as string]?.data).toEqual(BigInt64Array.of(0n, 1n));
  });

  it('feeds one modules_to_save copy per run: rows that disagree are refused', async () => {
    const name = 'llama-lora-modules-to-save';
    const adapter = await openFixtureAdapter(['generated', 'merge', name, 'adapter']);
    const { injected } = await prepareDynamic(llama(name), [adapter]);
    const replace = injected.branches.find((b) => b.kind === 'replace');
    expect(replace?.module).toBe('lm_head');
    expect(await codeOf(() => buildAdapterFeeds(injected, { perRow: [[adapter], null] }, 2))).toBe(
      'UNSUPPORTED_FEATURE',
    );
    const same = await buildAdapterFeeds(injected, { perRow: [[adapter], [adapter]] }, 2);
    const active = await buildAdapterFeeds(injected, { adapters: [adapter] }, 2);
    const input = replace?.inputs.weight as string;
    expect(same[input]?.data).toEqual(active[input]?.data);
    // disabled feeds the base weight back, exactly as the graph stored it
    const off = await buildAdapterFeeds(injected, { adapters: [] }, 2);
    expect(off[input]?.data).toEqual((await replace?.readBaseWeight())?.data);
  });
});

describe('dynamicTargets', () => {
  it('unites the adapters’ layers, with DoRA inputs where any adapter needs them', async () => {
    const lora = await openFixtureAdapter(['generated', 'merge', 'llama-lora-all-linear', 'adapter']);
    const dora = await openFixtureAdapter(['generated', 'merge', 'llama-dora', 'adapter']);
    const targets = dynamicTargets([lora, dora]);
    expect(targets).toHaveLength(lora.layers.length);
    const q = targets.find((t) => t.module === 'model.layers.0.self_attn.q_proj');
    const k = targets.find((t) => t.module === 'model.layers.0.self_attn.k_proj');
    expect([q?.kind, q?.dora, k?.dora]).toEqual(['lora', true, undefined]);
    const mts = await openFixtureAdapter(['generated', 'merge', 'llama-lora-modules-to-save', 'adapter']);
    expect(dynamicTargets([mts]).filter((t) => t.kind === 'replace')).toEqual([
      { module: 'lm_head', kind: 'replace', weight: true },
    ]);
    // an untouched model with these targets rewrites without adapter values in it
    const files = readModel(fixturePath('generated', 'onnx', 'llama-lora-all-linear'), 'model.onnx');
    const model = decodeModel(files.bytes);
    const before = model.graph.initializer.length;
    await injectAdapterBranches(model, targets);
    const added = model.graph.initializer.slice(before);
    expect(added.every((t) => t.name.startsWith('peft_dynamic/const/') && t.dims.length <= 1)).toBe(true);
  });
});
