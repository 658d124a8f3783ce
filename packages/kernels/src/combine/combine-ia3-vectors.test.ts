import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { combineIa3Vectors } from './combine-ia3-vectors.js';
import { ia3Modules, readSafetensors } from './testdata/fixture-helpers.js';

const dir = ['generated', 'combine', 'llama-ia3'];
const tensors = (...p: string[]) =>
  ia3Modules(readSafetensors(new Uint8Array(readFileSync(fixturePath(...dir, ...p)))));

describe('combineIa3Vectors', () => {
  it('is Σ wᵢ·lᵢ in float32', () => {
    const out = combineIa3Vectors([
      { l: Float32Array.of(1, 2), weight: 0.5 },
      { l: Float32Array.of(3, -1), weight: 2 },
    ]);
    expect(Array.from(out)).toEqual([6.5, -1]);
    expect(Array.from(combineIa3Vectors([], 3))).toEqual([0, 0, 0]);
  });

  it('equals PEFT’s IA3 add_weighted_adapter bit for bit on llama-ia3 (layers with one or both adapters)', () => {
    const params = JSON.parse(readFileSync(fixturePath(...dir, 'results', 'ia3', 'params.json'), 'utf8')) as {
      adapters: string[];
      weights: number[];
    };
    const sources = params.adapters.map((name) => tensors('adapters', name, 'adapter_model.safetensors'));
    const result = tensors('results', 'ia3', 'adapter_model.safetensors');
    expect(result.size).toBeGreaterThan(0);
    let partial = 0;
    for (const [module, expected] of result) {
      const present = sources.flatMap((s, i) => {
        const l = s.get(module);
        return l === undefined ? [] : [{ l: l.data, weight: params.weights[i] as number }];
      });
      if (present.length < sources.length) partial++;
      expect(Array.from(combineIa3Vectors(present, expected.data.length))).toEqual(Array.from(expected.data));
    }
    expect(partial).toBeGreaterThan(0);
  });

  it('rejects vectors of different lengths and a missing size', () => {
    expect(() =>
      combineIa3Vectors([
        { l: Float32Array.of(1), weight: 1 },
        { l: Float32Array.of(1, 2), weight: 1 },
      ]),
    ).toThrow(/expected 1/);
    expect(() => combineIa3Vectors([])).toThrow(/size/);
  });
});
