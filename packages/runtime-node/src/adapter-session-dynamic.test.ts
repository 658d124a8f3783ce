import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AdapterSession, type Backend, type BackendTensor, combineAdapters } from '@peftjs/runtime';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { createAdapterSession } from './create-adapter-session.js';
import { loadAdapter } from './load-adapter.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import {
  generatedOnnxCases,
  goldenOnnxCases,
  logitsOf,
  type OnnxCase,
  readFeeds,
  readFloat32s,
} from './session-cases.test.helper.js';

const ort = onnxruntimeNodeBackend({ threads: 1 });

/** The onnxruntime backend, counting the backend sessions it creates. */
function countingBackend(): { backend: Backend; created: () => number } {
  let count = 0;
  return {
    backend: {
      name: ort.name,
      tensor: (type, data, dims) => ort.tensor(type, data, dims),
      createSession: (model, options) => {
        count++;
        return ort.createSession(model, options);
      },
    },
    created: () => count,
  };
}

/**
 * 1e-4, or for the float16 case what onnxruntime's own run of the export differs from PyTorch by (`case.json`
 * `exports`: a few float16 ulps; the branches compute in float32 where the merged export rounds to float16).
 */
function toleranceOf(c: OnnxCase): number {
  if (c.adapterKey !== 'logits_merged_ort') return TOLERANCE.logits;
  const json = JSON.parse(readFileSync(join(dirname(c.model), 'case.json'), 'utf8')) as {
    exports: Record<string, number>;
  };
  return json.exports[c.model.slice(dirname(c.model).length + 1)] ?? 0;
}

/** Loads the case's adapter in dynamic mode: PEFT's logits, disabled gives the base, one backend session. */
async function checkCase(c: OnnxCase): Promise<void> {
  const { backend, created } = countingBackend();
  const session = await createAdapterSession({ model: c.model, base: c.baseDir, backend, mode: 'dynamic' });
  try {
    expect(session.mode).toBe('dynamic');
    await session.loadAdapter(c.adapterDir);
    const feeds = await readFeeds(c.inputs, backend);
    const expected = await readFloat32s(c.expected);
    const tolerance = toleranceOf(c);
    const adapter = logitsOf(await session.run(feeds));
    expect(maxAbsDiff(adapter, expected[c.adapterKey] as Float32Array)).toBeLessThanOrEqual(tolerance);
    session.disableAdapters();
    const disabled = logitsOf(await session.run(feeds));
    expect(maxAbsDiff(disabled, expected.logits_disabled as Float32Array)).toBeLessThanOrEqual(tolerance);
    session.enableAdapters();
    expect(logitsOf(await session.run(feeds))).toEqual(adapter);
    expect(created()).toBe(1);
  } finally {
    await session.close();
  }
}

describe('dynamic mode reproduces PEFT on every golden and generated ONNX case', () => {
  const golden = goldenOnnxCases();
  const generated = generatedOnnxCases();
  it('covers 11 golden and 25 generated exports', () => {
    expect([golden.length, generated.length]).toEqual([11, 25]);
  });
  it.each([...golden, ...generated].map((c) => [c.id, c] as const))('%s', (_id, c) => checkCase(c));

  const weighted = fixturePath('golden', 'cases', 'opt-weighted');
  const types = ['linear', 'cat', 'svd', 'ties', 'ties_svd', 'magnitude_prune', 'magnitude_prune_svd'];
  it.each(['model.onnx', 'model.dynamo.onnx'])(
    'opt-weighted on %s: one session serves every combined adapter with PEFT logits',
    async (file) => {
      const { backend, created } = countingBackend();
      const base = fixturePath('golden', 'bases', 'opt');
      const session = await createAdapterSession({ model: join(base, file), base, backend, mode: 'dynamic' });
      try {
        for (const type of types) await session.loadAdapter(join(weighted, 'adapters', type), type);
        const feeds = await readFeeds(join(base, 'inputs.safetensors'), backend);
        for (const type of types) {
          session.setAdapter(type);
          const logits = logitsOf(await session.run(feeds));
          const expected = await readFloat32s(join(weighted, `expected-${type}.safetensors`));
          expect(maxAbsDiff(logits, expected.logits as Float32Array), type).toBeLessThan(TOLERANCE.logits);
        }
        expect(created()).toBe(1);
      } finally {
        await session.close();
      }
    },
  );
});

const opt = fixturePath('golden', 'bases', 'opt');
const cases = fixturePath('golden', 'cases');
const ADAPTERS = {
  basic: join(cases, 'opt-lora-basic', 'adapter'),
  ia3: join(cases, 'opt-ia3', 'adapter'),
  svd: join(cases, 'opt-weighted', 'adapters', 'svd'),
} as const;
type Name = keyof typeof ADAPTERS | 'disabled';
const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

async function openOpt(file: string, backend: Backend): Promise<AdapterSession> {
  const session = await createAdapterSession({ model: join(opt, file), base: opt, backend, mode: 'dynamic' });
  for (const [name, dir] of Object.entries(ADAPTERS)) await session.loadAdapter(dir, name);
  return session;
}

async function runAs(session: AdapterSession, name: Name, feeds: Record<string, BackendTensor>) {
  if (name === 'disabled') session.disableAdapters();
  else {
    session.enableAdapters();
    session.setAdapter(name);
  }
  return logitsOf(await session.run(feeds));
}

describe('switching adapters in one dynamic session', () => {
  it.each(['model.onnx', 'model.dynamo.onnx'])(
    '%s: every switch reproduces the first run bit for bit without a new backend session',
    async (file) => {
      const { backend, created } = countingBackend();
      const session = await openOpt(file, backend);
      try {
        const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
        const order: Name[] = ['basic', 'svd', 'basic', 'disabled', 'basic', 'ia3', 'disabled', 'svd', 'ia3'];
        const first = new Map<Name, Float32Array>();
        for (const name of order) {
          const logits = await runAs(session, name, feeds);
          const seen = first.get(name);
          if (seen === undefined) first.set(name, logits);
          else expect(bytes(logits), name).toEqual(bytes(seen));
        }
        expect(created()).toBe(1);
        const basic = await readFloat32s(join(cases, 'opt-lora-basic', 'expected.safetensors'));
        expect(
          maxAbsDiff(first.get('basic') as Float32Array, basic.logits_adapter as Float32Array),
        ).toBeLessThan(TOLERANCE.logits);
        expect(
          maxAbsDiff(first.get('disabled') as Float32Array, basic.logits_disabled as Float32Array),
        ).toBeLessThan(TOLERANCE.logits);
        // loading another adapter changes the graph: one rebuild
        await session.loadAdapter(join(cases, 'opt-weighted', 'adapters', 'ties'), 'ties');
        await session.run(feeds);
        session.setAdapter('basic');
        expect(bytes(logitsOf(await session.run(feeds)))).toEqual(bytes(first.get('basic') as Float32Array));
        expect(created()).toBe(2);
      } finally {
        await session.close();
      }
    },
  );
});

describe('combining adapters in one dynamic session', () => {
  it('setAdapter([a, b]) sums the deltas as PEFT does (equal to their cat combination), no rebuild', async () => {
    const weighted = join(cases, 'opt-weighted', 'adapters');
    const a = await loadAdapter(join(weighted, 'a'));
    const b = await loadAdapter(join(weighted, 'b'));
    const cat = await combineAdapters({
      adapters: [
        { adapter: a, weight: 1 },
        { adapter: b, weight: 1 },
      ],
      type: 'cat',
    });
    const { backend, created } = countingBackend();
    const session = await createAdapterSession({
      model: join(opt, 'model.onnx'),
      base: opt,
      backend,
      mode: 'dynamic',
    });
    try {
      await session.addAdapter(a, 'a');
      await session.addAdapter(b, 'b');
      await session.addAdapter(cat, 'cat');
      const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
      const sum = logitsOf(await session.run(feeds));
      session.setAdapter(['a', 'b']);
      const both = logitsOf(await session.run(feeds));
      expect(maxAbsDiff(both, sum)).toBeLessThan(1e-5);
      session.setAdapter('a');
      expect(maxAbsDiff(logitsOf(await session.run(feeds)), both)).toBeGreaterThan(1e-3);
      expect(created()).toBe(1);
    } finally {
      await session.close();
      await a.close();
      await b.close();
    }
  });
});

/** The feeds with their rows repeated `times` times (the batch `[r0, r1, r0, r1, …]`). */
function repeatRows(feeds: Record<string, BackendTensor>, times: number, backend: Backend) {
  const out: Record<string, BackendTensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.data as BigInt64Array;
    const all = new BigInt64Array(data.length * times);
    for (let i = 0; i < times; i++) all.set(data, i * data.length);
    out[name] = backend.tensor('int64', all, [(t.dims[0] as number) * times, ...t.dims.slice(1)]);
  }
  return out;
}

describe('one adapter per batch row (PEFT adapter_names)', () => {
  it.each(['model.onnx', 'model.dynamo.onnx'])(
    '%s: each row equals the same row of a run with its adapter alone',
    async (file) => {
      const { backend, created } = countingBackend();
      const session = await openOpt(file, backend);
      try {
        const feeds = repeatRows(await readFeeds(join(opt, 'inputs.safetensors'), backend), 2, backend);
        const names = ['basic', 'ia3', '__base__', 'svd'];
        const mixed = await session.run(feeds, { adapterNames: names });
        const logits = logitsOf(mixed);
        const row = logits.length / names.length;
        for (const [i, name] of names.entries()) {
          const alone = await runAs(session, name === '__base__' ? 'disabled' : (name as Name), feeds);
          const got = logits.subarray(i * row, (i + 1) * row);
          expect(maxAbsDiff(got, alone.subarray(i * row, (i + 1) * row)), name).toBeLessThan(1e-5);
        }
        // disabled adapters win over adapterNames, as in PEFT
        session.disableAdapters();
        const base = logitsOf(await session.run(feeds, { adapterNames: names }));
        expect(base).toEqual(logitsOf(await session.run(feeds)));
        // two rewrites, each loaded once: the per-row one for adapterNames, the uniform one for plain runs
        expect(created()).toBe(2);
        session.enableAdapters();
        // a uniform batch: the per-row rewrite (every row on one slot) equals the uniform one bit for bit
        for (const name of ['basic', 'ia3', 'svd'] as const) {
          const perRow = logitsOf(await session.run(feeds, { adapterNames: names.map(() => name) }));
          expect(perRow, name).toEqual(await runAs(session, name, feeds));
        }
        expect(created()).toBe(2);
        await expect(session.run(feeds, { adapterNames: ['basic'] })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
        await expect(
          session.run(feeds, { adapterNames: ['basic', 'nope', 'basic', 'basic'] }),
        ).rejects.toMatchObject({ code: 'UNKNOWN_ADAPTER' });
      } finally {
        await session.close();
      }
    },
  );

  it('merged mode runs one adapter for every row without changing the active one; mixed rows need dynamic', async () => {
    const session = await createAdapterSession({ model: join(opt, 'model.onnx'), base: opt, backend: ort });
    try {
      await session.loadAdapter(ADAPTERS.basic, 'basic');
      const feeds = await readFeeds(join(opt, 'inputs.safetensors'), ort);
      await expect(session.run(feeds, { adapterNames: ['basic', '__base__'] })).rejects.toThrow(
        /need mode 'dynamic'/,
      );
      const adapter = logitsOf(await session.run(feeds));
      session.disableAdapters();
      const base = logitsOf(await session.run(feeds));
      session.enableAdapters();
      expect(logitsOf(await session.run(feeds, { adapterNames: ['__base__', '__base__'] }))).toEqual(base);
      expect(session.activeAdapters()).toEqual(['basic']);
      expect(logitsOf(await session.run(feeds))).toEqual(adapter);
    } finally {
      await session.close();
    }
  });
});
