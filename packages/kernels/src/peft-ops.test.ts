// Merge and unmerge against real PEFT 0.21 `layer.merge()` / `layer.unmerge()` on tiny layers
// (test/fixtures/peft-ops.safetensors, made by test/fixtures/gen_peft_ops.py).
import { fileURLToPath } from 'node:url';
import { maxAbsDiff } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import {
  countDiff,
  f32,
  readMetadata,
  readSafetensors,
  type StTensor,
  toWeight,
  u16,
} from '../test/helpers.js';
import { mergeAdalora, unmergeAdalora } from './adalora.js';
import type { BackendName } from './backend/backend.js';
import { f16ToF32 } from './convert/convert.js';
import { mergeDora, mergeDoraEmbedding, unmergeDora, unmergeDoraEmbedding } from './dora.js';
import type { Weight } from './dtype.js';
import { mergeIa3, mergeIa3Bias, unmergeIa3, unmergeIa3Bias } from './ia3.js';
import { mergeLora, unmergeLora } from './lora.js';
import type { LoraLinear } from './low-rank.js';

const path = fileURLToPath(new URL('../test/fixtures/peft-ops.safetensors', import.meta.url));
const file = readSafetensors(path);
const cases = JSON.parse(readMetadata(path).cases as string) as Record<string, Record<string, unknown>>;

function t(name: string): StTensor {
  const found = file.get(name);
  if (found === undefined) throw new Error(`missing ${name}`);
  return found;
}

/** Adapter tensors as f32 (f16 adapters widened exactly). */
function values(name: string): Float32Array {
  const x = t(name);
  return x.dtype === 'F32' ? f32(x) : f16ToF32(u16(x));
}

/** Exact equality for f16/bf16 (bits) and for f32 (values). */
function expectExact(actual: Weight | { data: Float32Array | Uint16Array }, expected: string): void {
  const e = toWeight(t(expected));
  expect(countDiff(actual.data, e.data), `${expected}: differing values`).toBe(0);
}

function expectClose(actual: Weight, expected: string, tol = 1e-5): void {
  expect(maxAbsDiff(actual.data, toWeight(t(expected)).data), expected).toBeLessThanOrEqual(tol);
}

function lora(name: string): LoraLinear {
  const a = t(`${name}.lora_A.weight`);
  const b = t(`${name}.lora_B.weight`);
  const p = cases[name] as Record<string, unknown>;
  return {
    a: values(`${name}.lora_A.weight`),
    b: values(`${name}.lora_B.weight`),
    rank: a.shape[0] as number,
    inFeatures: a.shape[1] as number,
    outFeatures: b.shape[0] as number,
    scaling: p.scaling as number,
    fanInFanOut: p.fan_in_fan_out === true,
    adapterDtype: a.dtype === 'F16' ? 'f16' : 'f32',
  };
}

describe.each(['wasm', 'js'] as BackendName[])('PEFT merge()/unmerge() on tiny layers (%s)', (backend) => {
  it.each(['lora-f16', 'lora-bf16', 'lora-f16-adapter-f16', 'lora-conv1d-f16', 'lora-rslora-f32'])(
    '%s: merge and unmerge bit for bit',
    (name) => {
      const w = toWeight(t(`${name}.base`));
      mergeLora(w, lora(name), { backend });
      expectExact(w, `${name}.merged`);
      const m = toWeight(t(`${name}.merged`));
      unmergeLora(m, lora(name), { backend });
      expectExact(m, `${name}.unmerged`);
    },
  );

  it.each(['dora-f32', 'dora-conv1d-f32'])('%s: DoRA merge and unmerge', (name) => {
    const dora = { ...lora(name), magnitude: values(`${name}.lora_magnitude_vector.weight`) };
    const w = toWeight(t(`${name}.base`));
    const norms = mergeDora(w, dora, { backend });
    expectClose(w, `${name}.merged`);
    unmergeDora(w, dora, norms, { backend });
    expectClose(w, `${name}.unmerged`);
  });

  it('dora-embedding-f32: DoRA on an embedding (norms per embedding column)', () => {
    const name = 'dora-embedding-f32';
    const a = t(`${name}.lora_embedding_A`);
    const b = t(`${name}.lora_embedding_B`);
    const dora = {
      a: values(`${name}.lora_embedding_A`),
      b: values(`${name}.lora_embedding_B`),
      rank: a.shape[0] as number,
      numEmbeddings: a.shape[1] as number,
      embeddingDim: b.shape[0] as number,
      scaling: (cases[name] as Record<string, number>).scaling as number,
      magnitude: values(`${name}.lora_magnitude_vector.weight`),
    };
    const w = toWeight(t(`${name}.base`));
    const norms = mergeDoraEmbedding(w, dora, { backend });
    expectClose(w, `${name}.merged`);
    unmergeDoraEmbedding(w, dora, norms, { backend });
    expectClose(w, `${name}.unmerged`);
  });

  it.each([
    'ia3-out-f32',
    'ia3-out-f16',
    'ia3-ff-f32',
    'ia3-ff-f16',
    'ia3-conv1d-out-f32',
    'ia3-conv1d-ff-f32',
  ])('%s: IA3 merge and unmerge of weight and bias, bit for bit', (name) => {
    const p = cases[name] as Record<string, unknown>;
    const ia3 = {
      l: values(`${name}.ia3_l`),
      feedforward: p.feedforward === true,
      fanInFanOut: p.fan_in_fan_out === true,
    };
    const w = toWeight(t(`${name}.base`));
    const bias = toWeight(t(`${name}.bias`));
    mergeIa3(w, ia3, { backend });
    mergeIa3Bias(bias, ia3);
    expectExact(w, `${name}.merged`);
    expectExact(bias, `${name}.merged_bias`);
    const m = toWeight(t(`${name}.merged`));
    const mb = toWeight(t(`${name}.merged_bias`));
    unmergeIa3(m, ia3, { backend });
    unmergeIa3Bias(mb, ia3);
    expectExact(m, `${name}.unmerged`);
    expectExact(mb, `${name}.unmerged_bias`);
  });

  it('adalora-f32: ΔW = B·(A⊙E)·scaling/(ranknum+1e-5), merge and unmerge bit for bit', () => {
    const name = 'adalora-f32';
    const a = t(`${name}.lora_A`);
    const p = cases[name] as Record<string, number>;
    const ada = {
      a: values(`${name}.lora_A`),
      e: values(`${name}.lora_E`),
      b: values(`${name}.lora_B`),
      rank: a.shape[0] as number,
      inFeatures: a.shape[1] as number,
      outFeatures: t(`${name}.lora_B`).shape[0] as number,
      scaling: p.scaling as number,
      ranknum: p.ranknum as number,
    };
    const w = toWeight(t(`${name}.base`));
    mergeAdalora(w, ada, { backend });
    expectExact(w, `${name}.merged`);
    const m = toWeight(t(`${name}.merged`));
    unmergeAdalora(m, ada, { backend });
    expectExact(m, `${name}.unmerged`);
  });
});
