import { AdapterError } from '../errors.js';
import type { AdapterSession } from '../session/adapter-session.js';
import type { BackendTensor, TensorMap } from '../session/backend.js';
import { tensorToFloat32 } from '../session/tensor-values.js';
import type { ResolvedGeneration } from './generation-config.js';
import type { CacheLayout } from './kv-cache.js';
import { pickToken, type Random } from './token-sampler.js';

/** Why a sequence ended: an EOS token, the token budget, or a stop string. */
export type FinishReason = 'eos' | 'length' | 'stop';

/** What the decoder runs: a session and how its graph takes the cache and positions. */
export interface DecoderModel {
  readonly session: AdapterSession;
  readonly cache: CacheLayout;
  /** Whether the graph has a `position_ids` input. */
  readonly positionIds: boolean;
  /** Whether the graph has an `attention_mask` input. */
  readonly attentionMask: boolean;
}

/** One batch to decode. */
export interface DecodeRequest {
  /** Token ids of each prompt (unpadded). */
  readonly prompts: readonly (readonly number[])[];
  /** Tokens each row may generate at most. */
  readonly budgets: readonly number[];
  readonly settings: ResolvedGeneration;
  /** One random source per row (used when sampling). */
  readonly random: readonly Random[];
  /** One adapter per row (dynamic mode; `"__base__"`: none), or undefined to use the session's active set. */
  readonly adapterNames?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

function int64(session: AdapterSession, rows: readonly (readonly number[])[]): BackendTensor {
  const width = rows[0]?.length ?? 0;
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((row, r) => {
    for (let i = 0; i < width; i++) data[r * width + i] = BigInt(row[i] as number);
  });
  return session.backend.tensor('int64', data, [rows.length, width]);
}

/**
 * Row `r`'s logits at its last position, as float32. Only that row is converted: a prefill (or a run without
 * cache) returns logits for every position, and copying all of them each step would dominate long prompts.
 */
function lastRow(logits: BackendTensor, r: number, seq: number, vocab: number): Float32Array {
  const { data } = logits;
  if (!ArrayBuffer.isView(data)) return tensorToFloat32(logits); // throws: string tensors have no logits
  const start = (r * seq + seq - 1) * vocab;
  if (data instanceof Float32Array) return data.subarray(start, start + vocab);
  return tensorToFloat32({ type: logits.type, dims: [vocab], data: data.subarray(start, start + vocab) });
}

/** transformers' positions: the running count of attended tokens minus one (1 on padding). */
function positionsOf(mask: readonly number[]): number[] {
  let seen = 0;
  return mask.map((m) => {
    if (m === 0) return 1;
    seen++;
    return seen - 1;
  });
}

/**
 * Decodes a batch of prompts step by step as transformers' `generate` does for decoder-only models: prompts padded
 * on the left, `attention_mask` 0 on padding, `position_ids` counted from each row's first real token, one forward
 * over the whole prompt then one token per step with the KV cache (or the whole sequence again when the model
 * has no cache or caching is off). Rows that finished are fed padding until every row is done.
 */
export class BatchDecoder {
  /** Each row: padding, prompt and generated ids. */
  readonly sequences: number[][];
  /** Tokens each row generated (its EOS included). */
  readonly generated: number[][];
  /** Why each row ended, once it has. */
  readonly finished: (FinishReason | undefined)[];
  private readonly mask: number[][];
  private past: TensorMap | undefined;
  private readonly useCache: boolean;

  constructor(
    private readonly model: DecoderModel,
    private readonly request: DecodeRequest,
  ) {
    const width = Math.max(0, ...request.prompts.map((p) => p.length));
    const pad = request.settings.padTokenId;
    this.sequences = request.prompts.map((p) => [...Array<number>(width - p.length).fill(pad), ...p]);
    this.mask = request.prompts.map((p) => [...Array<number>(width - p.length).fill(0), ...p.map(() => 1)]);
    this.generated = request.prompts.map(() => []);
    this.finished = request.prompts.map((p, r) => {
      if (p.length === 0) throw new AdapterError('INVALID_ARGUMENT', `prompt ${r} has no tokens`);
      return (request.budgets[r] ?? 0) <= 0 ? 'length' : undefined;
    });
    this.useCache = request.settings.useCache && model.cache.hasCache;
  }

  /** Whether every row has finished. */
  get done(): boolean {
    return this.finished.every((f) => f !== undefined);
  }

  /**
   * Ends a row early (a stop string was found); it is fed padding from now on.
   *
   * @param row - the row
   * @param reason - why
   */
  finish(row: number, reason: FinishReason): void {
    this.finished[row] ??= reason;
  }

  /**
   * Runs one forward and picks each unfinished row's next token.
   *
   * @returns the new token of each row (undefined for rows that had already finished)
   * @throws {AdapterError} `ABORTED` when the signal fired; the session's errors
   */
  async step(): Promise<(number | undefined)[]> {
    if (this.request.signal?.aborted === true) {
      throw new AdapterError('ABORTED', 'generation was aborted', { cause: this.request.signal.reason });
    }
    const { session, cache } = this.model;
    const incremental = this.useCache && this.past !== undefined;
    const width = this.sequences[0]?.length ?? 0;
    const start = incremental ? width - 1 : 0;
    const feeds: TensorMap = {
      input_ids: int64(
        session,
        this.sequences.map((s) => s.slice(start)),
      ),
      ...(incremental ? this.past : cache.empty(session.backend, this.sequences.length)),
    };
    if (this.model.attentionMask) feeds.attention_mask = int64(session, this.mask);
    if (this.model.positionIds) {
      feeds.position_ids = int64(
        session,
        this.mask.map((m) => positionsOf(m).slice(start)),
      );
    }
    const names = this.request.adapterNames;
    const outputs = await session.run(feeds, names === undefined ? {} : { adapterNames: names });
    if (this.useCache) this.past = cache.next(session.backend, outputs);
    return this.pick(outputs.logits, width - start);
  }

  private pick(logits: BackendTensor | undefined, length: number): (number | undefined)[] {
    if (logits === undefined) throw new AdapterError('BACKEND_FAILED', 'the model returned no logits');
    const [batch, seq, vocab] = logits.dims;
    if (
      logits.dims.length !== 3 ||
      batch !== this.sequences.length ||
      vocab === undefined ||
      seq === undefined
    ) {
      throw new AdapterError(
        'BACKEND_FAILED',
        `logits have dims [${logits.dims.join(', ')}]; expected [${this.sequences.length}, ${length}, vocab]`,
      );
    }
    const { settings, budgets, random } = this.request;
    return this.sequences.map((sequence, r) => {
      const reason = this.finished[r];
      const generated = this.generated[r] as number[];
      const token =
        reason === undefined
          ? pickToken(
              lastRow(logits, r, seq, vocab),
              sequence,
              generated.length,
              settings,
              random[r] as Random,
            )
          : settings.padTokenId;
      sequence.push(token);
      (this.mask[r] as number[]).push(1);
      if (reason !== undefined) return undefined;
      generated.push(token);
      if (settings.eosTokenIds.includes(token)) {
        this.finished[r] = 'eos';
      } else if (generated.length >= (budgets[r] ?? 0)) {
        this.finished[r] = 'length';
      }
      return token;
    });
  }
}
