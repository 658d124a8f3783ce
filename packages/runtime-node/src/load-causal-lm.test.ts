import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CausalLM, isAdapterError, type SessionMode } from '@peftjs/runtime';
import { fixturePath, repoRoot } from '@peftjs/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from './load-causal-lm.js';

// examples/tiny-chat: the embedded demo (GPT-2 style chat model, KV-cache and no-cache exports, a Chinese LoRA) and
// PyTorch's greedy outputs for nine questions, base and with the adapter.
const dir = join(repoRoot, 'examples', 'tiny-chat');
const modelDir = join(dir, 'tiny-chat-en');
const adapterDir = join(dir, 'tiny-chat-zh-lora');

interface Greedy {
  readonly question: string;
  readonly base_ids: readonly number[];
  readonly adapter_ids: readonly number[];
}
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  readonly prompt_template: string;
  readonly max_new_tokens: number;
  readonly greedy: readonly Greedy[];
};
const prompts = expected.greedy.map((g) => expected.prompt_template.replace('{question}', g.question));

/** The three ways to decode: cached, the cache graph without caching, the graph without cache inputs. */
const variants = [
  { label: 'KV cache', modelFile: 'model.onnx', useCache: true },
  { label: 'cache graph, caching off', modelFile: 'model.onnx', useCache: false },
  { label: 'graph without cache', modelFile: 'model_no_cache.onnx', useCache: true },
] as const;
const modes: readonly SessionMode[] = ['merged', 'dynamic'];

describe.each(modes)('the embedded demo in %s mode: greedy ids equal expected.json', (mode) => {
  const models = new Map<string, CausalLM>();
  beforeAll(async () => {
    for (const file of ['model.onnx', 'model_no_cache.onnx']) {
      models.set(
        file,
        await loadCausalLM(modelDir, { mode, modelFile: file, threads: 1, adapters: { zh: adapterDir } }),
      );
    }
  });
  afterAll(async () => {
    for (const lm of models.values()) await lm.close();
  });

  it.each(variants)('$label: nine questions, without and with the adapter, one at a time', async (v) => {
    const lm = models.get(v.modelFile) as CausalLM;
    expect(lm.hasCache).toBe(v.modelFile === 'model.onnx');
    const options = { maxNewTokens: expected.max_new_tokens, useCache: v.useCache };
    for (const [i, g] of expected.greedy.entries()) {
      lm.session.disableAdapters();
      const base = await lm.generate(prompts[i] as string, options);
      lm.session.enableAdapters();
      const zh = await lm.generate(prompts[i] as string, options);
      expect([...base.promptTokenIds, ...base.tokenIds]).toEqual(g.base_ids);
      expect([...zh.promptTokenIds, ...zh.tokenIds]).toEqual(g.adapter_ids);
      expect(base.finishReason).toBe('eos');
      expect(zh.text).toBe(lm.tokenizer.decode(zh.tokenIds));
    }
  });

  it('all nine questions in one left-padded batch, KV cache', async () => {
    const lm = models.get('model.onnx') as CausalLM;
    lm.session.enableAdapters();
    const results = await lm.generate(prompts, { maxNewTokens: expected.max_new_tokens });
    results.forEach((r, i) => {
      expect([...r.promptTokenIds, ...r.tokenIds]).toEqual(expected.greedy[i]?.adapter_ids);
    });
  });

  it("per-prompt adapters (PEFT's adapter_names): dynamic runs one batch, merged one batch per adapter", async () => {
    const lm = models.get('model.onnx') as CausalLM;
    const mixed = prompts.map((prompt, i) => ({ prompt, adapter: i % 2 === 0 ? 'zh' : '__base__' }));
    const results = await lm.generate(mixed, { maxNewTokens: expected.max_new_tokens });
    results.forEach((r, i) => {
      const g = expected.greedy[i] as Greedy;
      expect([...r.promptTokenIds, ...r.tokenIds]).toEqual(i % 2 === 0 ? g.adapter_ids : g.base_ids);
    });
    expect(lm.session.activeAdapters()).toEqual(['zh']);
  });
});

interface GreedyCase {
  readonly name: string;
  readonly prompts: readonly string[];
  readonly settings: Readonly<Record<string, number>>;
  readonly adapter: boolean;
  readonly adapter_names: readonly string[] | null;
  readonly prompt_ids: readonly (readonly number[])[];
  readonly generated: readonly (readonly number[])[];
}
const oracle = (
  JSON.parse(readFileSync(fixturePath('generated', 'generate', 'greedy.json'), 'utf8')) as {
    cases: GreedyCase[];
  }
).cases;

describe("transformers' generate() on the demo (oracle: generate/greedy.json), dynamic mode, batched", () => {
  let lm: CausalLM;
  beforeAll(async () => {
    lm = await loadCausalLM(modelDir, { mode: 'dynamic', threads: 1, adapters: { zh: adapterDir } });
  });
  afterAll(async () => lm?.close());

  it('has the cases', () => expect(oracle).toHaveLength(11));

  it.each(oracle.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    if (c.adapter) lm.session.enableAdapters();
    else lm.session.disableAdapters();
    const s = c.settings;
    const options = {
      ...(s.max_new_tokens === undefined ? {} : { maxNewTokens: s.max_new_tokens }),
      ...(s.min_new_tokens === undefined ? {} : { minNewTokens: s.min_new_tokens }),
      ...(s.repetition_penalty === undefined ? {} : { repetitionPenalty: s.repetition_penalty }),
    };
    const names = c.adapter_names;
    const input = c.prompts.map((prompt, i) =>
      names === null ? prompt : { prompt, adapter: names[i] as string },
    );
    const results = await lm.generate(input, options);
    expect(results.map((r) => r.promptTokenIds)).toEqual(c.prompt_ids);
    expect(results.map((r) => r.tokenIds)).toEqual(c.generated);
    lm.session.enableAdapters();
  });
});

describe('streaming, stop strings, sampling, abort', () => {
  let lm: CausalLM;
  const prompt = prompts[0] as string;
  beforeAll(async () => {
    lm = await loadCausalLM(modelDir, { mode: 'dynamic', threads: 1, adapters: { zh: adapterDir } });
  });
  afterAll(async () => lm?.close());

  it('streams pieces that add up to the text, one token per chunk, the last with the finish reason', async () => {
    const chunks = [];
    for await (const chunk of lm.stream(prompt, { maxNewTokens: 40 })) chunks.push(chunk);
    const whole = await lm.generate(prompt, { maxNewTokens: 40 });
    expect(chunks.map((c) => c.text).join('')).toBe(whole.text);
    expect(chunks.flatMap((c) => c.tokenIds)).toEqual(whole.tokenIds);
    expect(chunks.at(-1)?.finishReason).toBe('eos');
    expect(chunks.slice(0, -1).every((c) => c.finishReason === undefined)).toBe(true);
    expect(chunks.every((c) => !c.text.includes('\uFFFD'))).toBe(true);
    expect(whole.text).toBe(' 蓝鲸是世界上最大的动物。');
  });

  it('stops at a stop string and leaves it out; max new tokens ends with "length"', async () => {
    const stopped = await lm.generate(prompt, { maxNewTokens: 40, stop: ['最大', '海'] });
    expect(stopped).toMatchObject({ text: ' 蓝鲸是世界上', finishReason: 'stop' });
    const short = await lm.generate(prompt, { maxNewTokens: 3 });
    expect(short.tokenIds).toHaveLength(3);
    expect(short.finishReason).toBe('length');
  });

  it('samples reproducibly with a seed, the same alone or in a batch', async () => {
    const options = { doSample: true, temperature: 1.3, topK: 40, topP: 0.95, seed: 11, maxNewTokens: 12 };
    const a = await lm.generate(prompt, options);
    const b = await lm.generate(prompt, options);
    expect(b.tokenIds).toEqual(a.tokenIds);
    const greedy = await lm.generate(prompt, { maxNewTokens: 12 });
    // other seeds give other answers, and sampling differs from greedy
    const seeds = await Promise.all([3, 4, 5, 6].map((seed) => lm.generate(prompt, { ...options, seed })));
    const answers = new Set([a, ...seeds].map((r) => r.tokenIds.join()));
    expect(answers.size).toBeGreaterThan(1);
    expect([a, ...seeds].some((r) => r.tokenIds.join() !== greedy.tokenIds.join())).toBe(true);
    const [first] = await lm.generate([prompt, prompts[1] as string], options);
    expect(first?.tokenIds).toEqual(a.tokenIds);
  });

  it('rejects with ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    const stream = lm.stream(prompt, { maxNewTokens: 40, signal: controller.signal });
    await stream.next();
    controller.abort();
    await expect(stream.next()).rejects.toSatisfy((e) => isAdapterError(e) && e.code === 'ABORTED');
  });

  it('renders conversations without a chat template as "Role: content" lines (the demo format)', async () => {
    const chat = await lm.generate({
      messages: [{ role: 'user', content: expected.greedy[1]?.question ?? '' }],
    });
    expect([...chat.promptTokenIds, ...chat.tokenIds]).toEqual(expected.greedy[1]?.adapter_ids);
  });
});
