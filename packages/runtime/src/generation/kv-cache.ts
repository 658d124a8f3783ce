import { AdapterError } from '../errors.js';
import type { Backend, BackendTensor, TensorMap, TensorType } from '../session/backend.js';
import type { InputMetadata } from '../session/run-feeds.js';
import type { ModelConfig } from './model-config.js';

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/** One past-key/value input and the output that feeds it on the next step. */
interface CacheSlot {
  readonly input: string;
  readonly output: string;
  readonly type: TensorType;
  /** Size of the head axis (1) and of the head-size axis (3) of `[batch, heads, length, headDim]`. */
  readonly heads: number;
  readonly headDim: number;
}

/**
 * How a decoder graph takes its KV cache, as transformers.js and Optimum export it: inputs
 * `past_key_values.N.key|value` `[batch, kv heads, past length, head dim]`, outputs `present.N.key|value` with
 * the past and the new positions. Graphs without cache inputs have no slots.
 */
export class CacheLayout {
  private constructor(
    private readonly slots: readonly CacheSlot[],
    /** Whether the graph has a `use_cache_branch` input (Optimum's merged decoders). */
    private readonly branchInput: boolean,
  ) {}

  /**
   * Finds the cache inputs of a graph and their outputs.
   *
   * @param inputs - the graph's inputs with types and shapes
   * @param outputNames - the graph's outputs
   * @param config - the model's config (heads and head size when the graph leaves them symbolic)
   * @returns the layout
   * @throws {AdapterError} `INVALID_ARGUMENT` when a cache input has no `present…` output or a non-float type
   */
  static of(
    inputs: readonly InputMetadata[],
    outputNames: readonly string[],
    config: ModelConfig,
  ): CacheLayout {
    const outputs = new Set(outputNames);
    const slots: CacheSlot[] = [];
    for (const input of inputs) {
      if (!PAST.test(input.name)) continue;
      const output = input.name.replace('past_key_values', 'present');
      if (!outputs.has(output)) {
        throw new AdapterError(
          'INVALID_ARGUMENT',
          `the model has a cache input ${input.name} but no output ${output} to feed it from`,
        );
      }
      if (input.type !== 'float32' && input.type !== 'float16') {
        throw new AdapterError(
          'INVALID_ARGUMENT',
          `cache input ${input.name} has type ${input.type}; only float32 and float16 caches are supported`,
        );
      }
      const [, heads, , headDim] = input.dims ?? [];
      slots.push({
        input: input.name,
        output,
        type: input.type,
        heads: typeof heads === 'number' ? heads : config.kvHeads,
        headDim: typeof headDim === 'number' ? headDim : config.headDim,
      });
    }
    return new CacheLayout(
      slots,
      inputs.some((i) => i.name === 'use_cache_branch'),
    );
  }

  /** Whether the graph takes a KV cache. */
  get hasCache(): boolean {
    return this.slots.length > 0;
  }

  /**
   * Empty past tensors (length 0) for a batch: the feeds of a first step, or of every step when not caching.
   *
   * @param backend - makes the tensors
   * @param batch - rows
   * @returns one tensor per cache input (plus `use_cache_branch` = false when the graph has it)
   */
  empty(backend: Backend, batch: number): TensorMap {
    const feeds: TensorMap = {};
    for (const slot of this.slots) {
      const data = slot.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      feeds[slot.input] = backend.tensor(slot.type, data, [batch, slot.heads, 0, slot.headDim]);
    }
    if (this.branchInput) feeds.use_cache_branch = backend.tensor('bool', Uint8Array.of(0), [1]);
    return feeds;
  }

  /**
   * The next step's past: each `present…` output of this step fed as its `past_key_values…` input.
   *
   * @param backend - makes the `use_cache_branch` flag
   * @param outputs - this step's outputs
   * @returns the cache feeds
   * @throws {AdapterError} `BACKEND_FAILED` when an output is missing
   */
  next(backend: Backend, outputs: TensorMap): TensorMap {
    const feeds: TensorMap = {};
    for (const slot of this.slots) {
      const present: BackendTensor | undefined = outputs[slot.output];
      if (present === undefined) {
        throw new AdapterError('BACKEND_FAILED', `the model returned no ${slot.output}`);
      }
      feeds[slot.input] = present;
    }
    if (this.branchInput) feeds.use_cache_branch = backend.tensor('bool', Uint8Array.of(1), [1]);
    return feeds;
  }
}
