import { join } from 'node:path';
import type { Backend } from '@peftjs/runtime';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { createAdapterSession } from './create-adapter-session.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { logitsOf, readFeeds, readFloat32s } from './session-cases.test.helper.js';

const ort = onnxruntimeNodeBackend({ threads: 1 });
const opt = fixturePath('golden', 'bases', 'opt');
const cases = fixturePath('golden', 'cases');
const basicDir = join(cases, 'opt-lora-basic', 'adapter');
const ia3Dir = join(cases, 'opt-ia3', 'adapter');

/** onnxruntime, counting created and released backend sessions. */
function countingBackend() {
  const counts = { created: 0, released: 0 };
  const made = { tensors: 0 };
  const backend: Backend = {
    name: ort.name,
    tensor: (type, data, dims) => {
      made.tensors++;
      return ort.tensor(type, data, dims);
    },
    createSession: async (model, options) => {
      counts.created++;
      const session = await ort.createSession(model, options);
      let released = false;
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: (feeds) => session.run(feeds),
        release: async () => {
          if (!released) counts.released++;
          released = true;
          await session.release();
        },
      };
    },
  };
  return { backend, counts, made };
}

describe('dynamic session lifecycle', () => {
  it('keeps the feeds of recently used adapter sets: switching back builds no tensor', async () => {
    const { backend, made } = countingBackend();
    const session = await createAdapterSession({
      model: join(opt, 'model.onnx'),
      base: opt,
      backend,
      mode: 'dynamic',
    });
    try {
      const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
      await session.loadAdapter(basicDir, 'basic');
      await session.loadAdapter(ia3Dir, 'ia3');
      const first = new Map<string, Float32Array>();
      for (const name of ['basic', 'ia3']) {
        session.setAdapter(name);
        first.set(name, logitsOf(await session.run(feeds)));
      }
      // a run without a switch: only the caller's feeds are handed to the backend
      let before = made.tensors;
      await session.run(feeds);
      const perRun = made.tensors - before;
      before = made.tensors;
      for (const name of ['basic', 'ia3', 'basic', 'ia3']) {
        session.setAdapter(name);
        expect(logitsOf(await session.run(feeds))).toEqual(first.get(name));
      }
      expect(made.tensors - before).toBe(4 * perRun);
    } finally {
      await session.close();
    }
  });

  it('deleteAdapter rebuilds for the adapters left; the old backend session is released', async () => {
    const { backend, counts } = countingBackend();
    const session = await createAdapterSession({
      model: join(opt, 'model.onnx'),
      base: opt,
      backend,
      mode: 'dynamic',
    });
    try {
      const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
      // no adapter loaded: the base model itself, no rewrite
      const base = logitsOf(await session.run(feeds));
      const expected = await readFloat32s(join(cases, 'opt-ia3', 'expected.safetensors'));
      expect(maxAbsDiff(base, expected.logits_disabled as Float32Array)).toBeLessThan(TOLERANCE.logits);
      await session.loadAdapter(basicDir, 'basic');
      await session.loadAdapter(ia3Dir, 'ia3');
      // two runs at once share the one rewritten model
      const [x, y] = await Promise.all([session.run(feeds), session.run(feeds)]);
      expect(logitsOf(x)).toEqual(logitsOf(y));
      expect(counts).toEqual({ created: 2, released: 1 });
      await session.deleteAdapter('basic');
      expect(session.activeAdapters()).toEqual(['ia3']);
      const ia3 = logitsOf(await session.run(feeds));
      expect(maxAbsDiff(ia3, expected.logits_adapter as Float32Array)).toBeLessThan(TOLERANCE.logits);
      expect(counts).toEqual({ created: 3, released: 2 });
    } finally {
      await session.close();
    }
    expect(counts).toEqual({ created: 3, released: 3 });
  });

  it('mergeAndUnload merges the active adapter and keeps running the merged model in dynamic mode', async () => {
    const session = await createAdapterSession({
      model: join(opt, 'model.dynamo.onnx'),
      base: opt,
      mode: 'dynamic',
    });
    try {
      const feeds = await readFeeds(join(opt, 'inputs.safetensors'), session.backend);
      await session.loadAdapter(basicDir, 'basic');
      const dynamic = logitsOf(await session.run(feeds));
      await session.mergeAndUnload();
      expect(session.adapterNames).toEqual([]);
      expect(session.mode).toBe('dynamic');
      const merged = logitsOf(await session.run(feeds));
      expect(maxAbsDiff(merged, dynamic)).toBeLessThan(1e-5);
      // an adapter loaded on the merged model is fed on top of it
      await session.loadAdapter(ia3Dir, 'ia3');
      session.disableAdapters();
      expect(logitsOf(await session.run(feeds))).toEqual(merged);
    } finally {
      await session.close();
    }
  });
});
