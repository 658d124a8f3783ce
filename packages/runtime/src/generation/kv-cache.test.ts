import { describe, expect, it } from 'vitest';
import type { Backend, BackendTensor, TensorData, TensorType } from '../session/backend.js';
import type { InputMetadata } from '../session/run-feeds.js';
import { CacheLayout } from './kv-cache.js';
import { parseModelConfig } from './model-config.js';

const backend: Backend = {
  name: 'plain',
  createSession: () => Promise.reject(new Error('not used')),
  tensor: (type: TensorType, data: TensorData, dims: readonly number[]): BackendTensor => ({
    type,
    data,
    dims,
  }),
};
const config = parseModelConfig({
  num_hidden_layers: 1,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  hidden_size: 64,
});
const input = (name: string, type: InputMetadata['type'], dims?: InputMetadata['dims']): InputMetadata => ({
  name,
  type,
  dims,
});

describe('CacheLayout', () => {
  it('makes empty past tensors from the graph shape, else from config.json (GQA heads)', () => {
    const layout = CacheLayout.of(
      [
        input('input_ids', 'int64', ['batch', 'seq']),
        input('past_key_values.0.key', 'float16', ['batch', 4, 'past', 16]),
        input('past_key_values.0.value', 'float32', ['batch', 'heads', 'past', 'dim']),
        input('use_cache_branch', 'bool', [1]),
      ],
      ['logits', 'present.0.key', 'present.0.value'],
      config,
    );
    expect(layout.hasCache).toBe(true);
    const empty = layout.empty(backend, 3);
    expect(empty['past_key_values.0.key']).toMatchObject({ type: 'float16', dims: [3, 4, 0, 16] });
    expect(empty['past_key_values.0.value']).toMatchObject({ type: 'float32', dims: [3, 2, 0, 8] });
    expect(empty.use_cache_branch).toMatchObject({ type: 'bool', dims: [1], data: Uint8Array.of(0) });
    const present = { type: 'float32', dims: [3, 2, 5, 8], data: new Float32Array(240) };
    const next = layout.next(backend, {
      'present.0.key': present,
      'present.0.value': present,
      logits: present,
    });
    expect(next['past_key_values.0.key']).toBe(present);
    expect(next.use_cache_branch?.data).toEqual(Uint8Array.of(1));
    expect(() => layout.next(backend, { logits: present })).toThrow(/no present\.0\.key/);
  });

  it('a graph without cache inputs has no cache', () => {
    const layout = CacheLayout.of([input('input_ids', 'int64')], ['logits'], config);
    expect(layout.hasCache).toBe(false);
    expect(layout.empty(backend, 2)).toEqual({});
  });

  it('refuses a cache input without its present output, or of a non-float type', () => {
    expect(() => CacheLayout.of([input('past_key_values.0.key', 'float32')], ['logits'], config)).toThrow(
      /no output present\.0\.key/,
    );
    expect(() => CacheLayout.of([input('past_key_values.0.key', 'int8')], ['present.0.key'], config)).toThrow(
      /type int8/,
    );
  });
});
