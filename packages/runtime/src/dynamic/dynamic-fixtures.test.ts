import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { buildAdapterFeeds } from './build-adapter-feeds.js';
import {
  type DynamicCase,
  dynamicCases,
  openFixtureAdapter,
  prepareDynamic,
  Runner,
  readExpected,
  rewrittenFiles,
} from './dynamic.test.helper.js';

/**
 * The tolerance of a case: 1e-4, or for the float16 case what onnxruntime's own run of the export differs from
 * PyTorch by (`case.json` `exports`, a few float16 ulps of the logits).
 */
function toleranceOf(c: DynamicCase): number {
  if (c.adapterKey !== 'logits_merged_ort') return TOLERANCE.logits;
  const json = JSON.parse(readFileSync(join(c.modelDir, 'case.json'), 'utf8')) as {
    exports: Record<string, number>;
  };
  return json.exports[c.file] ?? 0;
}

describe('dynamic mode on every golden and generated ONNX case', () => {
  it('finds every golden (11) and generated (25) ONNX export', () => {
    expect(dynamicCases().length).toBe(36);
  });

  for (const c of dynamicCases()) {
    it(`${c.id}: the adapter fed at run time gives PEFT's logits; disabled gives the base model's own`, async () => {
      const adapter = await openFixtureAdapter(c.adapter);
      const { prepared, injected } = await prepareDynamic(c, [adapter]);
      // the base as PEFT has it with the adapter loaded (trained biases, saved embedding layers), not rewritten
      const plain = await Runner.open(prepared, c.inputs);
      const baseLogits = await plain.logits();
      await plain.release();
      const runner = await Runner.open(rewrittenFiles(prepared, injected), c.inputs);
      try {
        const batch = runner.batchSize;
        const active = await runner.logits(await buildAdapterFeeds(injected, { adapters: [adapter] }, batch));
        const disabled = await runner.logits(await buildAdapterFeeds(injected, { adapters: [] }, batch));
        const tolerance = toleranceOf(c);
        expect(maxAbsDiff(active, await readExpected(c.expected, c.adapterKey))).toBeLessThanOrEqual(
          tolerance,
        );
        expect(maxAbsDiff(disabled, await readExpected(c.expected, 'logits_disabled'))).toBeLessThanOrEqual(
          tolerance,
        );
        expect(disabled).toEqual(baseLogits);
      } finally {
        await runner.release();
      }
    });
  }
});

describe('dynamic mode on the combinations of opt-weighted', () => {
  const dir = ['golden', 'cases', 'opt-weighted'];
  const types = ['cat', 'linear', 'magnitude_prune', 'magnitude_prune_svd', 'svd', 'ties', 'ties_svd'];
  for (const file of ['model.onnx', 'model.dynamo.onnx']) {
    it(`${file}: one rewritten model runs each combined adapter with PEFT's logits`, async () => {
      const adapters = await Promise.all(types.map((t) => openFixtureAdapter([...dir, 'adapters', t])));
      const modelDir = fixturePath('golden', 'bases', 'opt');
      const { prepared, injected } = await prepareDynamic(
        { modelDir, file, base: ['golden', 'bases', 'opt'] },
        adapters,
      );
      const runner = await Runner.open(rewrittenFiles(prepared, injected), `${modelDir}/inputs.safetensors`);
      try {
        for (const [i, type] of types.entries()) {
          const adapter = adapters[i];
          if (!adapter) throw new Error(`no adapter ${type}`);
          const feeds = await buildAdapterFeeds(injected, { adapters: [adapter] }, runner.batchSize);
          const expected = await readExpected(fixturePath(...dir, `expected-${type}.safetensors`), 'logits');
          expect(maxAbsDiff(await runner.logits(feeds), expected), type).toBeLessThan(TOLERANCE.logits);
        }
      } finally {
        await runner.release();
      }
    });
  }
});
