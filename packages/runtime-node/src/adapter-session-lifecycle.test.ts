import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Adapter, type AdapterSession } from '@peftjs/runtime';
import { openSafetensorsFile } from '@peftjs/safetensors/node';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdapterSession } from './create-adapter-session.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { logitsOf, readFeeds, readFloat32s } from './session-cases.test.helper.js';

const backend = onnxruntimeNodeBackend({ threads: 1 });
const opt = fixturePath('golden', 'bases', 'opt');
const caseDir = (name: string) => fixturePath('golden', 'cases', name);
const weighted = (type: string) => join(caseDir('opt-weighted'), 'adapters', type);

const open: AdapterSession[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function optSession(file = 'model.onnx'): Promise<AdapterSession> {
  const session = await createAdapterSession({ model: join(opt, file), base: opt, backend });
  open.push(session);
  return session;
}

const feeds = () => readFeeds(join(opt, 'inputs.safetensors'), backend);
const expected = async (name: string) => readFloat32s(join(caseDir(name), 'expected.safetensors'));
const weightedLogits = async (type: string) =>
  (await readFloat32s(join(caseDir('opt-weighted'), `expected-${type}.safetensors`))).logits as Float32Array;
const baseLogits = async () => (await readFloat32s(join(opt, 'expected.safetensors'))).logits as Float32Array;

describe('AdapterSession lifecycle', () => {
  it('deleteAdapter picks the remaining active adapters, else the alphabetically first one (PEFT)', async () => {
    const session = await optSession();
    for (const type of ['ties', 'svd', 'linear']) await session.loadAdapter(weighted(type), type);
    session.setAdapter(['svd', 'linear']);
    await session.deleteAdapter('linear');
    expect(session.activeAdapters()).toEqual(['svd']);
    await session.deleteAdapter('svd');
    session.setAdapter('ties');
    await session.loadAdapter(weighted('cat'), 'zeta');
    await session.loadAdapter(weighted('magnitude_prune'), 'beta');
    expect(session.activeAdapters()).toEqual(['beta']);
    await session.deleteAdapter(['beta']);
    // not load order (zeta was loaded first of the two): the alphabetically first remaining adapter
    expect(session.adapterNames).toEqual(['ties', 'zeta']);
    expect(session.activeAdapters()).toEqual(['ties']);
    const x = await feeds();
    expect(maxAbsDiff(logitsOf(await session.run(x)), await weightedLogits('ties'))).toBeLessThan(
      TOLERANCE.logits,
    );
    await session.deleteAdapter([]);
    await session.deleteAdapter(['ties', 'zeta']);
    expect(session.adapterNames).toEqual([]);
    expect(() => session.activeAdapters()).toThrow(expect.objectContaining({ code: 'NO_ADAPTER_LOADED' }));
    expect(maxAbsDiff(logitsOf(await session.run(x)), await baseLogits())).toBeLessThan(TOLERANCE.logits);
  });

  it('getAdapterStateDict gives the saved keys without base_model.model. and their tensors', async () => {
    const session = await optSession();
    await session.loadAdapter(join(caseDir('opt-lora-basic'), 'adapter'), 'basic');
    await session.loadAdapter(join(caseDir('opt-ia3'), 'adapter'), 'ia3');
    const file = await openSafetensorsFile(
      join(caseDir('opt-lora-basic'), 'adapter', 'adapter_model.safetensors'),
    );
    try {
      const dict = session.getAdapterStateDict('basic');
      expect([...dict.keys()]).toEqual(file.tensorNames().map((k) => k.replace(/^base_model\.model\./, '')));
      expect([...dict.keys()]).toContain('model.decoder.layers.0.self_attn.q_proj.lora_A.weight');
      for (const name of file.tensorNames()) {
        const tensor = dict.get(name.replace(/^base_model\.model\./, ''));
        expect(await tensor?.float32()).toEqual(await file.readFloat32(name));
      }
    } finally {
      await file.close();
    }
    // default: the first active adapter (the last loaded)
    expect([...session.getAdapterStateDict().keys()]).toContain(
      'model.decoder.layers.0.self_attn.k_proj.ia3_l',
    );
  });

  it('addAdapter takes an Adapter built from a config and tensors (add_adapter + its weights)', async () => {
    const dir = join(caseDir('opt-lora-basic'), 'adapter');
    const file = await openSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const name of file.tensorNames()) {
      tensors[name] = { dtype: 'F32', shape: [...file.info(name).shape], data: await file.readFloat32(name) };
    }
    await file.close();
    const adapter = Adapter.create({
      config: readFileSync(join(dir, 'adapter_config.json'), 'utf8'),
      tensors,
    });
    const session = await optSession('model.dynamo.onnx');
    await session.addAdapter(adapter, 'mine');
    expect(session.activeAdapters()).toEqual(['mine']);
    const logits = logitsOf(await session.run(await feeds()));
    const want = (await expected('opt-lora-basic')).logits_adapter as Float32Array;
    expect(maxAbsDiff(logits, want)).toBeLessThan(TOLERANCE.logits);
  });

  it.each(['model.onnx', 'model.dynamo.onnx'])(
    'mergeAndUnload (%s) returns a model onnxruntime loads with the adapter merged, and drops the adapters',
    async (file) => {
      const session = await optSession(file);
      await session.loadAdapter(join(caseDir('opt-lora-basic'), 'adapter'), 'basic');
      await session.loadAdapter(join(caseDir('opt-ia3'), 'adapter'), 'ia3');
      session.setAdapter('basic');
      session.disableAdapters(); // PEFT merges the active adapters even while disabled
      const merged = await session.mergeAndUnload();
      expect(session.adapterNames).toEqual([]);
      expect(merged.externalData.length > 0).toBe(file === 'model.dynamo.onnx');
      const want = (await expected('opt-lora-basic')).logits_adapter as Float32Array;
      const x = await feeds();
      const ort = await backend.createSession(merged.bytes, { externalData: merged.externalData });
      try {
        expect(maxAbsDiff(logitsOf(await ort.run(x)), want)).toBeLessThan(TOLERANCE.logits);
      } finally {
        await ort.release();
      }
      // the session now runs the merged model as its base
      expect(maxAbsDiff(logitsOf(await session.run(x)), want)).toBeLessThan(TOLERANCE.logits);
      await session.loadAdapter(join(caseDir('opt-lora-basic'), 'adapter'), 'again');
      expect(session.activeAdapters()).toEqual(['again']);
    },
  );

  it('unload drops every adapter and gives the base model back', async () => {
    const session = await optSession('model.dynamo.onnx');
    await session.loadAdapter(join(caseDir('opt-lora-basic'), 'adapter'));
    const base = await session.unload();
    expect(session.adapterNames).toEqual([]);
    expect(base.externalData.map((f) => f.path)).toEqual(['model.dynamo.onnx.data']);
    expect(maxAbsDiff(logitsOf(await session.run(await feeds())), await baseLogits())).toBeLessThan(
      TOLERANCE.logits,
    );
  });
});
