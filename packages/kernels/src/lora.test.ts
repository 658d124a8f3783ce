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
  u16,
} from '../test/helpers.js';
import type { BackendName } from './backend/backend.js';
import type { FloatDtype, Weight } from './dtype.js';
import {
  loraDelta,
  mergeLora,
  mergeLoraBias,
  mergeLoraEmbedding,
  unmergeLora,
  unmergeLoraBias,
  unmergeLoraEmbedding,
} from './lora.js';

const BACKENDS: BackendName[] = ['wasm', 'js'];

function weightOf(t: StTensor): Weight {
  const dtype: FloatDtype = t.dtype === 'F32' ? 'f32' : t.dtype === 'F16' ? 'f16' : 'bf16';
  const data = dtype === 'f32' ? f32(t).slice() : u16(t).slice();
  return { data, dtype, rows: t.shape[0] as number, cols: t.shape[1] ?? 1 };
}

/** PEFT's scaling for a plain config (no rank/alpha patterns in the cases used here). */
function scalingOf(c: MergeCase): number {
  const alpha = c.config.lora_alpha as number;
  const r = c.config.r as number;
  return c.config.use_rslora ? alpha / Math.sqrt(r) : alpha / r;
}

/** Merges every linear LoRA module of a case; returns the merged weights by base key. */
function mergeLinear(c: MergeCase, backend: BackendName): Map<string, Weight> {
  const out = new Map<string, Weight>();
  for (const module of modules(c.adapter, '.lora_A.weight')) {
    const a = adapterTensor(c, module, '.lora_A.weight');
    const b = adapterTensor(c, module, '.lora_B.weight');
    const weight = weightOf(tensor(c.base, `${module}.weight`));
    const lora = {
      a: f32(a),
      b: f32(b),
      rank: a.shape[0] as number,
      inFeatures: a.shape[1] as number,
      outFeatures: b.shape[0] as number,
      scaling: scalingOf(c),
      fanInFanOut: c.config.fan_in_fan_out === true,
    };
    mergeLora(weight, lora, { backend });
    out.set(`${module}.weight`, weight);
  }
  return out;
}

function expectMatches(c: MergeCase, merged: Map<string, Weight>): void {
  expect(merged.size).toBeGreaterThan(0);
  for (const [key, weight] of merged) {
    const expected = tensor(c.merged, key);
    if (weight.dtype === 'f32') {
      expect(maxAbsDiff(weight.data, f32(expected)), key).toBeLessThanOrEqual(TOLERANCE.weights);
      // PyTorch's f32 FMA chain is reproduced exactly, so even f32 merges match bit for bit
      expect(countDiff(weight.data, f32(expected)), `${key}: differing f32 values`).toBe(0);
    } else {
      expect(countDiff(weight.data, u16(expected)), `${key}: differing ${weight.dtype} values`).toBe(0);
    }
  }
}

describe.each(BACKENDS)('LoRA merge vs PEFT merge_and_unload (%s backend)', (backend) => {
  it.each([
    ['generated', 'llama-lora-all-linear', undefined],
    ['generated', 'llama-lora-sharded', undefined],
    ['golden', 'opt-lora-basic', 'opt'],
    ['golden', 'gpt2-lora-conv1d', 'gpt2'],
    ['generated', 't5-lora-all-linear', undefined],
  ] as const)('%s %s (f32)', (kind, name, arch) => {
    const c = loadCase(kind, name, arch);
    expectMatches(c, mergeLinear(c, backend));
  });

  it.each(['llama-lora-f16', 'llama-lora-bf16', 'llama-lora-f16-sharded'])('%s: bit-exact', (name) => {
    const c = loadCase('generated', name);
    const merged = mergeLinear(c, backend);
    expect([...merged.values()].every((w) => w.dtype !== 'f32')).toBe(true);
    expectMatches(c, merged);
  });

  it('opt-lora-lora-bias: weights and lora_B.bias merged into the base bias', () => {
    const c = loadCase('generated', 'opt-lora-lora-bias');
    expectMatches(c, mergeLinear(c, backend));
    const s = scalingOf(c);
    const biases = modules(c.adapter, '.lora_B.bias');
    expect(biases.length).toBeGreaterThan(0);
    for (const module of biases) {
      const bias = { data: f32(tensor(c.base, `${module}.bias`)).slice(), dtype: 'f32' as const };
      const loraBias = f32(adapterTensor(c, module, '.lora_B.bias'));
      mergeLoraBias(bias, loraBias, s);
      expect(maxAbsDiff(bias.data, f32(tensor(c.merged, `${module}.bias`)))).toBeLessThanOrEqual(1e-6);
      unmergeLoraBias(bias, loraBias, s);
      expect(maxAbsDiff(bias.data, f32(tensor(c.base, `${module}.bias`)))).toBeLessThanOrEqual(1e-6);
    }
  });

  it('llama-lora-embeddings: embed_tokens (lora_embedding_A/B) and lm_head, q_proj (linear)', () => {
    const c = loadCase('generated', 'llama-lora-embeddings');
    const merged = mergeLinear(c, backend);
    expect([...merged.keys()]).toContain('lm_head.weight');
    const module = 'model.embed_tokens';
    const a = adapterTensor(c, module, '.lora_embedding_A');
    const b = adapterTensor(c, module, '.lora_embedding_B');
    const weight = weightOf(tensor(c.base, `${module}.weight`));
    const lora = {
      a: f32(a),
      b: f32(b),
      rank: a.shape[0] as number,
      numEmbeddings: a.shape[1] as number,
      embeddingDim: b.shape[0] as number,
      scaling: scalingOf(c),
    };
    mergeLoraEmbedding(weight, lora, { backend });
    merged.set(`${module}.weight`, weight);
    expectMatches(c, merged);
    unmergeLoraEmbedding(weight, lora, { backend });
    expect(maxAbsDiff(weight.data, f32(tensor(c.base, `${module}.weight`)))).toBeLessThanOrEqual(1e-6);
  });
});

describe('loraDelta', () => {
  it('is ΔW = s·B·A in [out, in], transposed with fanInFanOut (exact small case)', () => {
    // A [2, 3], B [2, 2]
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([1, 0, 0.5, 2]);
    const lora = { a, b, rank: 2, inFeatures: 3, outFeatures: 2, scaling: 2 };
    expect([...loraDelta(lora)]).toEqual([2, 4, 6, 17, 22, 27]);
    expect([...loraDelta({ ...lora, fanInFanOut: true })]).toEqual([2, 17, 4, 22, 6, 27]);
  });

  it('matches the weight change of mergeLora on an f32 weight', () => {
    const c = loadCase('generated', 'llama-lora-all-linear');
    const module = modules(c.adapter, '.lora_A.weight')[0] as string;
    const a = adapterTensor(c, module, '.lora_A.weight');
    const b = adapterTensor(c, module, '.lora_B.weight');
    const lora = {
      a: f32(a),
      b: f32(b),
      rank: a.shape[0] as number,
      inFeatures: a.shape[1] as number,
      outFeatures: b.shape[0] as number,
      scaling: scalingOf(c),
    };
    const base = f32(tensor(c.base, `${module}.weight`));
    const delta = loraDelta(lora);
    const expected = f32(tensor(c.merged, `${module}.weight`));
    const sum = base.map((w, i) => w + (delta[i] as number));
    expect(countDiff(sum, expected)).toBe(0);
  });
});

describe('unmergeLora', () => {
  it('llama-lora-all-linear: unmerge after merge gives the f32 base weight back within 1e-6', () => {
    const c = loadCase('generated', 'llama-lora-all-linear');
    for (const module of modules(c.adapter, '.lora_A.weight')) {
      const a = adapterTensor(c, module, '.lora_A.weight');
      const b = adapterTensor(c, module, '.lora_B.weight');
      const base = tensor(c.base, `${module}.weight`);
      const weight = weightOf(base);
      const lora = {
        a: f32(a),
        b: f32(b),
        rank: a.shape[0] as number,
        inFeatures: a.shape[1] as number,
        outFeatures: b.shape[0] as number,
        scaling: scalingOf(c),
      };
      mergeLora(weight, lora);
      expect(maxAbsDiff(weight.data, f32(base))).toBeGreaterThan(1e-3);
      unmergeLora(weight, lora);
      expect(maxAbsDiff(weight.data, f32(base))).toBeLessThanOrEqual(1e-6);
    }
  });
});
