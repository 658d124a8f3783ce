// DoRA, IA3 and AdaLoRA merges of real PEFT cases (fixtures/generated/merge, fixtures/golden/cases) compared
// with the state dict PEFT's merge_and_unload() produced. Adapter keys are mapped to base keys by hand.
import { maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import {
  adapterTensor,
  countDiff,
  f32,
  loadCase,
  type MergeCase,
  modules,
  type StTensor,
  tensor,
  toWeight,
} from '../test/helpers.js';
import { mergeAdalora } from './adalora.js';
import type { BackendName } from './backend/backend.js';
import { doraFactor, mergeDora } from './dora.js';
import { mergeIa3, mergeIa3Bias } from './ia3.js';

function expectClose(c: MergeCase, key: string, actual: Float32Array | Uint16Array, exact: boolean): void {
  const expected = f32(tensor(c.merged, key));
  expect(maxAbsDiff(actual, expected), key).toBeLessThanOrEqual(TOLERANCE.weights);
  if (exact) expect(countDiff(actual, expected), `${key}: differing values`).toBe(0);
}

describe.each(['wasm', 'js'] as BackendName[])('adapters vs PEFT merge_and_unload (%s)', (backend) => {
  it.each([
    ['llama-dora', false],
    ['gpt2-dora-conv1d', true],
    ['llama-lora-old-v0.9-dora', false],
  ] as const)('DoRA %s (Conv1D layout: %s) within 1e-5', (name, conv1d) => {
    const c = loadCase('generated', name);
    const alpha = c.config.lora_alpha as number;
    const names = modules(c.adapter, '.lora_magnitude_vector');
    expect(names.length).toBeGreaterThan(0);
    for (const module of names) {
      const a = adapterTensor(c, module, '.lora_A.weight');
      const b = adapterTensor(c, module, '.lora_B.weight');
      const dora = {
        a: f32(a),
        b: f32(b),
        rank: a.shape[0] as number,
        inFeatures: a.shape[1] as number,
        outFeatures: b.shape[0] as number,
        scaling: alpha / (a.shape[0] as number),
        fanInFanOut: conv1d,
        magnitude: f32(adapterTensor(c, module, '.lora_magnitude_vector')),
      };
      const w = toWeight(tensor(c.base, `${module}.weight`));
      const factor = doraFactor(w, dora, { backend });
      mergeDora(w, dora, { backend });
      expectClose(c, `${module}.weight`, w.data, false);
      expect(factor.every((g) => Number.isFinite(g) && g > 0)).toBe(true);
      // the merged weight is g ⊙ (W + ΔW) with g = m / ‖W + ΔW‖: its output-channel norms are the magnitudes
      const data = w.data as Float32Array;
      const out = dora.outFeatures;
      const inF = dora.inFeatures;
      const at = (o: number, i: number) => (conv1d ? data[i * out + o] : data[o * inF + i]) as number;
      for (let o = 0; o < out; o++) {
        let sum = 0;
        for (let i = 0; i < inF; i++) sum += at(o, i) ** 2;
        const m = dora.magnitude[o] as number;
        expect(Math.abs(Math.sqrt(sum) - m), `${module} channel ${o}`).toBeLessThanOrEqual(
          1e-4 * Math.abs(m),
        );
      }
    }
  });

  it.each([
    ['generated', 'llama-ia3', undefined],
    ['generated', 'gpt2-ia3', undefined],
    ['generated', 't5-ia3', undefined],
    ['golden', 'opt-ia3', 'opt'],
  ] as const)('IA3 %s %s: weights and biases bit for bit', (kind, name, arch) => {
    const c = loadCase(kind, name, arch);
    const ff = (c.config.feedforward_modules as string[]) ?? [];
    const fanInFanOut = c.config.fan_in_fan_out === true;
    const names = modules(c.adapter, '.ia3_l');
    expect(names.length).toBeGreaterThan(0);
    let biases = 0;
    for (const module of names) {
      const feedforward = ff.some((f) => module === f || module.endsWith(`.${f}`));
      const ia3 = { l: f32(adapterTensor(c, module, '.ia3_l')), feedforward, fanInFanOut };
      const w = toWeight(tensor(c.base, `${module}.weight`));
      mergeIa3(w, ia3, { backend });
      expectClose(c, `${module}.weight`, w.data, true);
      const bias: StTensor | undefined = c.base.get(`${module}.bias`);
      if (bias !== undefined) {
        const b = toWeight(bias);
        mergeIa3Bias(b, ia3);
        expectClose(c, `${module}.bias`, b.data, true);
        if (!feedforward) biases++;
      }
    }
    if (name === 'gpt2-ia3' || name === 'opt-ia3') expect(biases).toBeGreaterThan(0);
  });

  it.each([
    ['generated', 't5-adalora-rank-pattern', undefined],
    ['golden', 'opt-adalora', 'opt'],
  ] as const)('AdaLoRA %s %s (scaling = lora_alpha, ranknum = init_r) bit for bit', (kind, name, arch) => {
    const c = loadCase(kind, name, arch);
    const names = modules(c.adapter, '.lora_E');
    expect(names.length).toBeGreaterThan(0);
    const ranks = new Set<number>();
    for (const module of names) {
      const a = adapterTensor(c, module, '.lora_A');
      const b = adapterTensor(c, module, '.lora_B');
      const ada = {
        a: f32(a),
        e: f32(adapterTensor(c, module, '.lora_E')),
        b: f32(b),
        rank: a.shape[0] as number,
        inFeatures: a.shape[1] as number,
        outFeatures: b.shape[0] as number,
        scaling: c.config.lora_alpha as number,
        ranknum: c.config.init_r as number,
      };
      ranks.add(ada.rank);
      const w = toWeight(tensor(c.base, `${module}.weight`));
      mergeAdalora(w, ada, { backend });
      expectClose(c, `${module}.weight`, w.data, true);
    }
    // the rank-pattern case keeps different ranks per module (AdaLoRA's allocation cut them)
    if (name === 't5-adalora-rank-pattern') expect(ranks.size).toBeGreaterThan(1);
  });
});
