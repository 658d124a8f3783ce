import { describe, expect, it } from 'vitest';
import { isAdapterError } from '../errors.js';
import { DEFAULT_MAX_NEW_TOKENS, newTokenBudget, resolveGeneration } from './generation-config.js';
import { type ModelConfig, parseModelConfig } from './model-config.js';

const gpt2: ModelConfig = parseModelConfig({
  model_type: 'gpt2',
  n_layer: 4,
  n_head: 4,
  n_embd: 128,
  n_positions: 128,
  vocab_size: 640,
  eos_token_id: 0,
  bos_token_id: 0,
});

describe('resolveGeneration', () => {
  it("uses transformers' defaults: greedy, top-k 50, top-p 1, 20 new tokens, EOS from config.json", () => {
    const s = resolveGeneration({}, {}, gpt2);
    expect(s).toMatchObject({ doSample: false, temperature: 1, topK: 50, topP: 1, repetitionPenalty: 1 });
    expect(s.eosTokenIds).toEqual([0]);
    expect(s.padTokenId).toBe(0); // no pad_token_id: the first EOS, as generate() does
    expect(newTokenBudget(s, 13)).toBe(DEFAULT_MAX_NEW_TOKENS);
  });

  it('takes generation_config.json over the defaults, and call options over both', () => {
    const g = { do_sample: true, temperature: 0.6, top_p: 0.9, eos_token_id: [2, 7], pad_token_id: 3 };
    const s = resolveGeneration({}, g, gpt2);
    expect(s).toMatchObject({ doSample: true, temperature: 0.6, topP: 0.9, padTokenId: 3 });
    expect(s.eosTokenIds).toEqual([2, 7]);
    const o = resolveGeneration({ doSample: false, temperature: 1.5, eosTokenId: 9 }, g, gpt2);
    expect(o).toMatchObject({ doSample: false, temperature: 1.5, eosTokenIds: [9] });
  });

  it('counts max_length from the prompt when the generation config sets it; max_new_tokens wins', () => {
    expect(newTokenBudget(resolveGeneration({}, { max_length: 30 }, gpt2), 13)).toBe(17);
    expect(newTokenBudget(resolveGeneration({}, { max_length: 10 }, gpt2), 13)).toBe(0);
    expect(newTokenBudget(resolveGeneration({}, { max_length: 30, max_new_tokens: 4 }, gpt2), 13)).toBe(4);
    expect(newTokenBudget(resolveGeneration({ maxNewTokens: 2 }, { max_new_tokens: 4 }, gpt2), 13)).toBe(2);
  });

  it.each([
    [{ temperature: 0 }, 'temperature'],
    [{ topP: 0 }, 'topP'],
    [{ topP: 1.5 }, 'topP'],
    [{ topK: -1 }, 'topK'],
    [{ maxNewTokens: 2.5 }, 'maxNewTokens'],
    [{ repetitionPenalty: 0 }, 'repetitionPenalty'],
    [{ minP: 2 }, 'minP'],
    [{ seed: 0.5 }, 'seed'],
    [{ stop: [''] }, 'stop'],
  ])('rejects %j naming the setting and the value', (options, name) => {
    try {
      resolveGeneration(options, {}, gpt2);
      expect.unreachable();
    } catch (error) {
      expect(isAdapterError(error) && error.code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toContain(name);
      expect((error as Error).message).toContain(JSON.stringify(Object.values(options)[0]));
    }
  });

  it('needs some padding id', () => {
    const noIds = { ...gpt2, eosTokenIds: [], padTokenId: undefined };
    expect(() => resolveGeneration({}, {}, noIds)).toThrow(/padTokenId/);
    expect(resolveGeneration({ padTokenId: 5 }, {}, noIds).padTokenId).toBe(5);
  });
});

describe('parseModelConfig', () => {
  it('reads GPT-2 names', () => {
    expect(gpt2).toEqual({
      modelType: 'gpt2',
      layers: 4,
      kvHeads: 4,
      headDim: 32,
      vocabSize: 640,
      eosTokenIds: [0],
      bosTokenId: 0,
      padTokenId: undefined,
      maxPositions: 128,
    });
  });

  it('reads grouped-query attention, explicit head_dim and text_config', () => {
    const llama = parseModelConfig({
      model_type: 'llama',
      num_hidden_layers: 8,
      num_attention_heads: 16,
      num_key_value_heads: 4,
      hidden_size: 1024,
      head_dim: 128,
      vocab_size: 32000,
      eos_token_id: [128001, 128009],
      max_position_embeddings: 4096,
    });
    expect(llama).toMatchObject({ layers: 8, kvHeads: 4, headDim: 128, eosTokenIds: [128001, 128009] });
    const nested = parseModelConfig({
      model_type: 'gemma3',
      text_config: { num_hidden_layers: 2, num_attention_heads: 8, num_key_value_heads: 1, hidden_size: 64 },
    });
    expect(nested).toMatchObject({ layers: 2, kvHeads: 1, headDim: 8 });
    const falcon = parseModelConfig({
      num_hidden_layers: 2,
      num_attention_heads: 8,
      hidden_size: 64,
      multi_query: true,
    });
    expect(falcon.kvHeads).toBe(1);
  });

  it('says what is missing', () => {
    expect(() => parseModelConfig({ model_type: 'x', n_head: 2 })).toThrow(/layer count/);
    expect(() => parseModelConfig({ model_type: 'x', n_layer: 2, n_head: 2 })).toThrow(
      /model_type "x"\) lacks the hidden size/,
    );
    expect(parseModelConfig({ n_layer: 2, n_head: 2, head_dim: 16 }).headDim).toBe(16);
    expect(() => parseModelConfig([1])).toThrow(/JSON object/);
  });
});
