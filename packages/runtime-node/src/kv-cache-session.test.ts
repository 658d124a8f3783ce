import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdapterSession,
  type Backend,
  type BackendTensor,
  type SessionMode,
  tensorToFloat32,
} from '@peftjs/runtime';
import { repoRoot } from '@peftjs/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapterSession } from './create-adapter-session.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';

// examples/tiny-chat: a GPT-2-style model (4 layers, 4 heads of 32, vocabulary 640) with a KV-cache ONNX export,
// a PEFT LoRA (r=16 on c_attn/c_proj/c_fc, fan_in_fan_out) that answers in Chinese, and PyTorch's greedy outputs.
const dir = join(repoRoot, 'examples', 'tiny-chat');
const baseDir = join(dir, 'tiny-chat-en');
const adapterDir = join(dir, 'tiny-chat-zh-lora');
const LAYERS = 4;
const HEADS = 4;
const HEAD_DIM = 32;
const VOCAB = 640;
/** Logits of a cached step vs the full-sequence run of the other export (float32 reassociation only). */
const STEP_TOLERANCE = 1e-4;

interface Greedy {
  readonly question: string;
  readonly base_ids: readonly number[];
  readonly adapter_ids: readonly number[];
}
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  readonly greedy: readonly Greedy[];
};

/** Length of the prompt: the common prefix of the base and adapter sequences. */
function promptLength(g: Greedy): number {
  let n = 0;
  while (n < g.base_ids.length && g.base_ids[n] === g.adapter_ids[n]) n++;
  return n;
}

/** The onnxruntime backend (1 thread), counting the backend sessions it creates. */
function countingBackend(): { backend: Backend; created: () => number } {
  const ort = onnxruntimeNodeBackend({ threads: 1 });
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

function int64(backend: Backend, values: readonly number[]): BackendTensor {
  return backend.tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
}

/** Index of the largest of `VOCAB` logits at sequence position `t` (batch 1). */
function argmaxAt(logits: Float32Array, t: number): number {
  let best = 0;
  for (let v = 1; v < VOCAB; v++) {
    if ((logits[t * VOCAB + v] as number) > (logits[t * VOCAB + best] as number)) best = v;
  }
  return best;
}

/** The largest absolute difference between row `a` of `x` and row `b` of `y` (rows of `VOCAB` logits). */
function rowDiff(x: Float32Array, a: number, y: Float32Array, b: number): number {
  let max = 0;
  for (let v = 0; v < VOCAB; v++) {
    max = Math.max(max, Math.abs((x[a * VOCAB + v] as number) - (y[b * VOCAB + v] as number)));
  }
  return max;
}

/** Greedy tokens the model picks after every position t ≥ prompt − 1, in one run of `ids[:-1]` without cache. */
async function fullRun(session: AdapterSession, ids: readonly number[]): Promise<Float32Array> {
  const input = ids.slice(0, -1);
  const out = await session.run({
    input_ids: int64(session.backend, input),
    attention_mask: int64(
      session.backend,
      input.map(() => 1),
    ),
  });
  const logits = out.logits as BackendTensor;
  expect(logits.dims).toEqual([1, input.length, VOCAB]);
  return tensorToFloat32(logits);
}

/**
 * Decodes `ids` with the KV cache: prefill `ids[:prompt]` with empty past, then one token per step with the previous
 * `present.*` as past. Returns each greedy step's logits row (position t = prompt − 1 … length − 2) in order.
 */
async function cachedRun(
  session: AdapterSession,
  ids: readonly number[],
  prompt: number,
): Promise<Float32Array[]> {
  const { backend } = session;
  let past: Record<string, BackendTensor> = {};
  for (let i = 0; i < LAYERS; i++) {
    for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] = backend.tensor('float32', new Float32Array(0), [
        1,
        HEADS,
        0,
        HEAD_DIM,
      ]);
    }
  }
  const rows: Float32Array[] = [];
  let start = 0;
  let end = prompt;
  while (end < ids.length) {
    const out = await session.run({
      input_ids: int64(backend, ids.slice(start, end)),
      attention_mask: int64(
        backend,
        ids.slice(0, end).map(() => 1),
      ),
      position_ids: int64(
        backend,
        ids.slice(start, end).map((_, k) => start + k),
      ),
      ...past,
    });
    const logits = out.logits as BackendTensor;
    expect(logits.dims).toEqual([1, end - start, VOCAB]);
    const values = tensorToFloat32(logits);
    rows.push(values.slice((end - start - 1) * VOCAB, (end - start) * VOCAB));
    past = {};
    for (let i = 0; i < LAYERS; i++) {
      for (const kind of ['key', 'value']) {
        const present = out[`present.${i}.${kind}`] as BackendTensor;
        expect(present.dims).toEqual([1, HEADS, end, HEAD_DIM]);
        past[`past_key_values.${i}.${kind}`] = present;
      }
    }
    start = end;
    end++;
  }
  return rows;
}

/** Checks one sequence both ways: argmax = next token at every greedy step, cached logits = uncached logits. */
async function checkSequence(
  cached: AdapterSession,
  uncached: AdapterSession,
  ids: readonly number[],
  prompt: number,
): Promise<void> {
  const full = await fullRun(uncached, ids);
  const picked: number[] = [];
  for (let t = prompt - 1; t < ids.length - 1; t++) picked.push(argmaxAt(full, t));
  expect(picked).toEqual(ids.slice(prompt));

  const steps = await cachedRun(cached, ids, prompt);
  expect(steps.map((row) => argmaxAt(row, 0))).toEqual(ids.slice(prompt));
  const diffs = steps.map((row, k) => rowDiff(row, 0, full, prompt - 1 + k));
  expect(Math.max(...diffs)).toBeLessThanOrEqual(STEP_TOLERANCE);
}

const modes: readonly SessionMode[] = ['merged', 'dynamic'];

describe.each(modes)('tiny-chat KV-cache model, %s mode: PyTorch greedy decoding', (mode) => {
  const counter = countingBackend();
  let cached: AdapterSession;
  let uncached: AdapterSession;

  beforeAll(async () => {
    const { backend } = counter;
    cached = await createAdapterSession({
      model: join(baseDir, 'onnx', 'model.onnx'),
      base: baseDir,
      mode,
      backend,
    });
    uncached = await createAdapterSession({
      model: join(baseDir, 'onnx', 'model_no_cache.onnx'),
      base: baseDir,
      mode,
      backend,
    });
    await cached.loadAdapter(adapterDir, 'zh');
    await uncached.loadAdapter(adapterDir, 'zh');
  });
  afterAll(async () => {
    await cached?.close();
    await uncached?.close();
  });

  it('has nine questions whose prompts end in "Assistant:" and whose answers end in EOS', () => {
    expect(expected.greedy).toHaveLength(9);
    for (const g of expected.greedy) {
      const prompt = promptLength(g);
      expect(prompt).toBeGreaterThan(0);
      expect(prompt).toBeLessThan(Math.min(g.base_ids.length, g.adapter_ids.length));
      expect(g.base_ids.at(-1)).toBe(0);
      expect(g.adapter_ids.at(-1)).toBe(0);
    }
    expect(cached.inputNames).toContain('past_key_values.3.value');
    expect(cached.outputNames).toContain('present.3.value');
  });

  it.each(expected.greedy.map((g) => [g.question, g] as const))('%s', async (_q, g) => {
    const prompt = promptLength(g);
    for (const s of [cached, uncached]) s.disableAdapters();
    await checkSequence(cached, uncached, g.base_ids, prompt);
    for (const s of [cached, uncached]) s.enableAdapters();
    expect(cached.activeAdapters()).toEqual(['zh']);
    await checkSequence(cached, uncached, g.adapter_ids, prompt);
  });

  it('built the expected number of backend sessions (dynamic: one per model, never rebuilt)', () => {
    // merged: the base and the merged model per export (the default cache of 2 keeps both); dynamic: one each.
    expect(counter.created()).toBe(mode === 'dynamic' ? 2 : 4);
  });
});
