import { join } from 'node:path';
import { type AdapterSession, combineAdapters } from '@peftjs/runtime';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { createAdapterSession } from './create-adapter-session.js';
import { loadAdapter } from './load-adapter.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { logitsOf, readFeeds, readFloat32s } from './session-cases.test.helper.js';

const backend = onnxruntimeNodeBackend({ threads: 1 });
const opt = fixturePath('golden', 'bases', 'opt');
const cases = fixturePath('golden', 'cases');
const weighted = join(cases, 'opt-weighted');

/** The adapters loaded, with PEFT's logits for each. */
const ADAPTERS = {
  basic: {
    dir: join(cases, 'opt-lora-basic', 'adapter'),
    expected: [join(cases, 'opt-lora-basic', 'expected.safetensors'), 'logits_adapter'],
  },
  ia3: {
    dir: join(cases, 'opt-ia3', 'adapter'),
    expected: [join(cases, 'opt-ia3', 'expected.safetensors'), 'logits_adapter'],
  },
  svd: {
    dir: join(weighted, 'adapters', 'svd'),
    expected: [join(weighted, 'expected-svd.safetensors'), 'logits'],
  },
  ties: {
    dir: join(weighted, 'adapters', 'ties'),
    expected: [join(weighted, 'expected-ties.safetensors'), 'logits'],
  },
} as const;
type Name = keyof typeof ADAPTERS | 'disabled';

const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

async function openOpt(file: string, cacheSize?: number): Promise<AdapterSession> {
  const session = await createAdapterSession({
    model: join(opt, file),
    base: opt,
    backend,
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
  for (const [name, { dir }] of Object.entries(ADAPTERS)) await session.loadAdapter(dir, name);
  return session;
}

async function runAs(session: AdapterSession, name: Name, feeds: Parameters<AdapterSession['run']>[0]) {
  if (name === 'disabled') session.disableAdapters();
  else {
    session.enableAdapters();
    session.setAdapter(name);
  }
  return logitsOf(await session.run(feeds));
}

describe('switching adapters in one merged session', () => {
  const order: Name[] = [
    'basic',
    'svd',
    'basic',
    'ia3',
    'disabled',
    'ties',
    'svd',
    'disabled',
    'ia3',
    'basic',
  ];

  it.each(
    ['model.onnx', 'model.dynamo.onnx'].flatMap((file) => [
      [file, undefined],
      [file, 1],
    ]),
  )('%s (cacheSize %s): every switch reproduces the first run bit for bit', async (file, cacheSize) => {
    const session = await openOpt(file, cacheSize);
    try {
      const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
      const first = new Map<Name, Float32Array>();
      for (const name of order) {
        const logits = await runAs(session, name, feeds);
        const seen = first.get(name);
        if (seen === undefined) first.set(name, logits);
        else expect(bytes(logits), name).toEqual(bytes(seen));
      }
      for (const [name, { expected }] of Object.entries(ADAPTERS)) {
        const want = (await readFloat32s(expected[0]))[expected[1]] as Float32Array;
        expect(maxAbsDiff(first.get(name as Name) as Float32Array, want), name).toBeLessThan(
          TOLERANCE.logits,
        );
      }
      const base = (await readFloat32s(join(opt, 'expected.safetensors'))).logits as Float32Array;
      expect(maxAbsDiff(first.get('disabled') as Float32Array, base)).toBeLessThan(TOLERANCE.logits);
      expect(session.activeAdapters()).toEqual(['basic']);
    } finally {
      await session.close();
    }
  });

  it('setAdapter([a, b]) sums the deltas, as PEFT does (equal to their exact cat combination)', async () => {
    const a = await loadAdapter(join(weighted, 'adapters', 'a'));
    const b = await loadAdapter(join(weighted, 'adapters', 'b'));
    const session = await createAdapterSession({ model: join(opt, 'model.onnx'), base: opt, backend });
    try {
      await session.addAdapter(a, 'a');
      await session.addAdapter(b, 'b');
      const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
      session.setAdapter('a');
      const onlyA = logitsOf(await session.run(feeds));
      session.setAdapter(['a', 'b']);
      expect(session.activeAdapters()).toEqual(['a', 'b']);
      const both = logitsOf(await session.run(feeds));
      // PEFT's cat combination is exactly ΔW = Σ wᵢ·sᵢ·Bᵢ·Aᵢ: with weights 1 it is the sum of both deltas.
      const cat = await combineAdapters({
        adapters: [
          { adapter: a, weight: 1 },
          { adapter: b, weight: 1 },
        ],
        type: 'cat',
      });
      await session.addAdapter(cat, 'cat');
      const sum = logitsOf(await session.run(feeds));
      expect(maxAbsDiff(both, sum)).toBeLessThan(1e-5);
      expect(maxAbsDiff(both, onlyA)).toBeGreaterThan(1e-3);
      session.setAdapter(['b', 'a']);
      expect(maxAbsDiff(logitsOf(await session.run(feeds)), both)).toBeLessThan(1e-6);
    } finally {
      await session.close();
      await a.close();
      await b.close();
    }
  });
});
