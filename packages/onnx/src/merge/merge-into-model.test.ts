import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import {
  adapterDirs,
  adapterTargets,
  checkpointWeights,
  EXPORTS,
  goldenCaseArchs,
  loadBase,
  readExpected,
  runLogits,
} from '../golden.test.helper.js';
import { encodeModel } from '../model/codec.js';
import { writeModel } from '../model/write-model.js';
import { mergeIntoModel } from './merge-into-model.js';

/** Each adapter of a golden case and the logits PEFT gave with it active. */
function expectations(caseName: string): { dir: string; expected: string; key: string }[] {
  const dirs = adapterDirs(caseName);
  if (caseName !== 'opt-weighted') {
    return [
      {
        dir: dirs[0] as string,
        expected: fixturePath('golden', 'cases', caseName, 'expected.safetensors'),
        key: 'logits_adapter',
      },
    ];
  }
  // the combined adapters; a and b are only their sources
  const combined = dirs
    .map((dir) => ({ dir, name: dir.split('/').pop() as string }))
    .filter(({ name }) => name !== 'a' && name !== 'b')
    .map(({ dir, name }) => ({
      dir,
      expected: fixturePath('golden', 'cases', caseName, `expected-${name}.safetensors`),
      key: 'logits',
    }));
  if (combined.length === 0) throw new Error(`golden case ${caseName}: no combined adapters besides a and b`);
  return combined;
}

describe('merged mode end to end in onnxruntime-node', () => {
  for (const arch of Object.keys(EXPORTS)) {
    for (const file of EXPORTS[arch] ?? []) {
      it(`${arch}/${file}: the unmerged export reproduces PyTorch's base logits`, async () => {
        const { bytes, files } = loadBase(arch, file);
        const logits = await runLogits(arch, bytes, files);
        const expected = await readExpected(
          fixturePath('golden', 'bases', arch, 'expected.safetensors'),
          'logits',
        );
        expect(maxAbsDiff(logits, expected)).toBeLessThan(TOLERANCE.logits);
      });
    }
  }

  for (const { caseName, arch } of goldenCaseArchs()) {
    for (const file of EXPORTS[arch] ?? []) {
      for (const { dir, expected, key } of expectations(caseName)) {
        const label = `${caseName}${caseName === 'opt-weighted' ? `/${dir.split('/').pop()}` : ''} on ${file}`;
        it(`${label}: logits equal PEFT's with the adapter active`, async () => {
          const { model, source, files } = loadBase(arch, file);
          const baseWeight = await checkpointWeights(arch);
          const targets = await adapterTargets(dir);
          const merged = await mergeIntoModel(model, targets, { source, baseWeight });
          expect(merged.map((m) => m.module).sort()).toEqual(
            [...new Set(targets.map((t) => t.module))].sort(),
          );
          const want = await readExpected(expected, key);
          // merged tensors are inline now; the untouched ones still come from the original external file
          const logits = await runLogits(arch, encodeModel(model), files);
          expect(maxAbsDiff(logits, want)).toBeLessThan(TOLERANCE.logits);
          if (files.length > 0) {
            // and the same model re-laid-out: every large initializer in one new page-aligned file
            const written = await writeModel(model, { externalData: { location: 'merged.data' }, source });
            const again = await runLogits(arch, written.model, written.externalData);
            expect(maxAbsDiff(again, logits)).toBe(0);
          }
        });
      }
    }
  }
});
