import { join } from 'node:path';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { createAdapterSession } from './create-adapter-session.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import {
  generatedOnnxCases,
  goldenOnnxCases,
  logitsOf,
  type OnnxCase,
  readFeeds,
  readFloat32s,
} from './session-cases.test.helper.js';

const backend = onnxruntimeNodeBackend({ threads: 1 });

/** Loads the case's adapter in merged mode and checks the active and the disabled logits against PEFT's. */
async function checkCase(c: OnnxCase, withBase: boolean): Promise<void> {
  const session = await createAdapterSession({
    model: c.model,
    backend,
    ...(withBase ? { base: c.baseDir } : {}),
  });
  try {
    await session.loadAdapter(c.adapterDir);
    const feeds = await readFeeds(c.inputs, backend);
    const expected = await readFloat32s(c.expected);
    const adapter = logitsOf(await session.run(feeds));
    expect(maxAbsDiff(adapter, expected[c.adapterKey] as Float32Array)).toBeLessThan(TOLERANCE.logits);
    session.disableAdapters();
    const disabled = logitsOf(await session.run(feeds));
    // f16: PEFT's disabled logits come from torch, whose f16 kernels round differently from onnxruntime's;
    // onnxruntime's base logits are checked through the merged model instead.
    if (!c.id.includes('-f16')) {
      expect(maxAbsDiff(disabled, expected.logits_disabled as Float32Array)).toBeLessThan(TOLERANCE.logits);
    }
    session.enableAdapters();
    expect(logitsOf(await session.run(feeds))).toEqual(adapter);
  } finally {
    await session.close();
  }
}

describe('merged mode reproduces PEFT on every golden case', () => {
  const cases = goldenOnnxCases();
  it('covers 6 cases on both exports (gpt2: TorchScript only)', () => {
    expect(cases.length).toBe(11);
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => checkCase(c, true));

  const weighted = fixturePath('golden', 'cases', 'opt-weighted');
  const types = ['linear', 'cat', 'svd', 'ties', 'ties_svd', 'magnitude_prune', 'magnitude_prune_svd'];
  it.each(types.flatMap((t) => ['model.onnx', 'model.dynamo.onnx'].map((file) => [t, file] as const)))(
    'opt-weighted: adapters/%s on %s gives expected-<type>',
    async (type, file) => {
      const base = fixturePath('golden', 'bases', 'opt');
      const session = await createAdapterSession({ model: join(base, file), base, backend });
      try {
        await session.loadAdapter(join(weighted, 'adapters', type), type);
        const logits = logitsOf(
          await session.run(await readFeeds(join(base, 'inputs.safetensors'), backend)),
        );
        const expected = await readFloat32s(join(weighted, `expected-${type}.safetensors`));
        expect(maxAbsDiff(logits, expected.logits as Float32Array)).toBeLessThan(TOLERANCE.logits);
      } finally {
        await session.close();
      }
    },
  );
});

describe('merged mode reproduces PEFT on every generated ONNX case', () => {
  const cases = generatedOnnxCases();
  it('covers 13 cases, 12 of them with a dynamo export', () => {
    expect(cases.length).toBe(25);
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s (with the base checkpoint)', (_id, c) =>
    checkCase(c, true),
  );
  // Exports whose modules the locator finds by name (node scopes / name_scopes) need no checkpoint; the f16 case
  // then recognises the float32 copy of a float16 weight from its values. OPT's TorchScript exports name scopes
  // `/m/decoder/…` (OPTModel's `model` segment dropped), which only value matching against a checkpoint resolves.
  const byName = cases.filter((c) => !(c.id.startsWith('generated/opt-') && c.id.endsWith('/model.onnx')));
  it.each(byName.map((c) => [c.id, c] as const))('%s (without a checkpoint)', (_id, c) =>
    checkCase(c, false),
  );
});
