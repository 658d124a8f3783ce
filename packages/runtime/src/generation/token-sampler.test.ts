import { readFileSync } from 'node:fs';
import { createSeededRandom as seededRandom } from '@peftjs/kernels';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { type GenerationOptions, resolveGeneration } from './generation-config.js';
import { argmax, softmax } from './logits-processors.js';
import type { ModelConfig } from './model-config.js';
import { draw, pickToken, processScores } from './token-sampler.js';

const model: ModelConfig = {
  modelType: 'test',
  layers: 1,
  kvHeads: 1,
  headDim: 1,
  vocabSize: 64,
  eosTokenIds: [0],
  bosTokenId: 0,
  padTokenId: 0,
  maxPositions: undefined,
};

interface ProcessorCase {
  readonly name: string;
  readonly params: GenerationOptions;
  readonly input_ids: number[];
  readonly scores: (number | null)[];
  readonly expected: (number | null)[];
}
const cases = (
  JSON.parse(readFileSync(fixturePath('generated', 'generate', 'processors.json'), 'utf8')) as {
    cases: ProcessorCase[];
  }
).cases;

const toScores = (values: readonly (number | null)[]) =>
  Float32Array.from(values, (v) => (v === null ? Number.NEGATIVE_INFINITY : v));

describe("transformers' logits processors (oracle: generate/processors.json)", () => {
  it('covers every processor', () => {
    expect(cases).toHaveLength(24);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // sampling settings with only this case's processors on (transformers' top-k default of 50 off)
    const settings = resolveGeneration({ doSample: true, topK: 0, ...c.params }, {}, model);
    const out = processScores(toScores(c.scores), c.input_ids, 5, settings);
    expect(Array.from(out)).toEqual(Array.from(toScores(c.expected)));
  });
});

describe('pickToken', () => {
  const scores = Float32Array.from([0.5, 2, -1, 2, 1.5]);

  it('greedy takes the first of equal best scores, like torch.argmax', () => {
    const settings = resolveGeneration({}, {}, model);
    expect(pickToken(scores, [], 0, settings, () => 0.99)).toBe(1);
    expect(argmax(Float32Array.from([Number.NaN, -3, -2]))).toBe(2);
  });

  it('minNewTokens forbids EOS until enough tokens were generated', () => {
    const settings = resolveGeneration({ minNewTokens: 3 }, {}, model);
    const eosBest = Float32Array.from([9, 1, 2]);
    expect(pickToken(eosBest, [], 2, settings, Math.random)).toBe(2);
    expect(pickToken(eosBest, [], 3, settings, Math.random)).toBe(0);
  });

  it('sampling draws by probability; top-k 1 is greedy whatever the draw (ties at the k-th score stay)', () => {
    const topOne = resolveGeneration({ doSample: true, topK: 1 }, {}, model);
    const clear = Float32Array.from([0.5, 2, -1, 1.9]);
    for (const u of [0, 0.3, 0.999]) expect(pickToken(clear, [], 0, topOne, () => u)).toBe(1);
    expect(pickToken(scores, [], 0, topOne, () => 0.2)).toBe(1);
    expect(pickToken(scores, [], 0, topOne, () => 0.7)).toBe(3);
    const probs = softmax(Float32Array.from([0, Math.log(3)]));
    expect(probs[0]).toBeCloseTo(0.25, 7);
    expect(draw(Float64Array.from([0.25, 0.75]), 0.2)).toBe(0);
    expect(draw(Float64Array.from([0.25, 0.75]), 0.25)).toBe(1);
    expect(draw(Float64Array.from([0.5, 0.5, 0]), 0.99999999999)).toBe(1);
  });

  it('sampled frequencies follow the softmax', () => {
    const settings = resolveGeneration({ doSample: true, temperature: 2 }, {}, model);
    const random = seededRandom(42);
    const counts = new Float64Array(5);
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const t = pickToken(scores, [], 0, settings, random);
      counts[t] = (counts[t] ?? 0) + 1;
    }
    const expected = softmax(Float32Array.from(scores, (s) => s / 2));
    const worst = Math.max(...Array.from(counts, (c, i) => Math.abs(c / n - (expected[i] as number))));
    expect(worst).toBeLessThan(0.015);
  });
});
