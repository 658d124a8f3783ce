import { createSeededRandom, deriveSeed } from '@peftjs/kernels';
import { AdapterError } from '../errors.js';
import { type AdapterSession, BASE_ADAPTER_NAME } from '../session/adapter-session.js';
import { BatchDecoder, type DecoderModel, type FinishReason } from './batch-decoder.js';
import { type GenerationOptions, newTokenBudget, resolveGeneration } from './generation-config.js';
import { IncrementalText } from './incremental-text.js';
import { CacheLayout } from './kv-cache.js';
import type { ModelConfig } from './model-config.js';
import type { ChatMessage, ChatTemplateOptions, TextTokenizer } from './text-tokenizer.js';
import type { Random } from './token-sampler.js';

/**
 * What to generate from: a text prompt, a conversation (rendered with the chat template), or token ids — with,
 * optionally, the adapter this prompt runs with (`"__base__"` for none).
 */
export type GenerationPrompt =
  | string
  | {
      readonly prompt?: string;
      readonly messages?: readonly ChatMessage[];
      readonly ids?: readonly number[];
      readonly adapter?: string;
    };

/** Options of {@link CausalLM.generate} and {@link CausalLM.stream}. */
export interface GenerateOptions extends GenerationOptions {
  /** Chat template settings for `messages` prompts. */
  readonly chat?: ChatTemplateOptions;
  /** Stops generation (the call rejects with `ABORTED`). */
  readonly signal?: AbortSignal;
}

/** A piece of one prompt's output, as it streams. */
export interface GenerationChunk {
  /** Which prompt (its index in the call). */
  readonly index: number;
  /** New text (may be empty while a multi-byte character or a possible stop string is held back). */
  readonly text: string;
  /** The tokens generated since the previous chunk of this prompt. */
  readonly tokenIds: readonly number[];
  /** Set on the prompt's last chunk. */
  readonly finishReason?: FinishReason;
}

/** One prompt's complete output. */
export interface GenerationResult {
  readonly index: number;
  /** The generated text (special tokens skipped, cut before a stop string). */
  readonly text: string;
  /** Generated token ids (an ending EOS included). */
  readonly tokenIds: readonly number[];
  /** The prompt's token ids. */
  readonly promptTokenIds: readonly number[];
  readonly finishReason: FinishReason;
}

/** The parts of a causal language model. */
export interface CausalLMParts {
  /** The session over the model's ONNX graph (adapters are loaded and switched on it). */
  readonly session: AdapterSession;
  readonly tokenizer: TextTokenizer;
  /** The parsed `config.json`. */
  readonly config: ModelConfig;
  /** The parsed `generation_config.json` (`{}` when the model has none). */
  readonly generationConfig?: Readonly<Record<string, unknown>>;
}

/**
 * Text generation with a decoder-only model and its adapters: tokenizer, chat template, KV cache, greedy or
 * sampled decoding with transformers' settings, batches with padding and per-prompt adapters (dynamic mode: one
 * batch; merged mode: one batch per adapter, one after another). Adapters are
 * managed on `session` (`loadAdapter`, `setAdapter`, `disableAdapters`, …); each step runs with the session's
 * active adapters unless prompts name their own.
 *
 * @example
 * ```ts
 * const lm = new CausalLM({ session, tokenizer, config, generationConfig });
 * const [answer] = await lm.generate(['User: Hi\nAssistant:'], { maxNewTokens: 20 });
 * for await (const chunk of lm.stream(['User: Hi\nAssistant:'])) process.stdout.write(chunk.text);
 * ```
 */
export class CausalLM {
  readonly session: AdapterSession;
  readonly tokenizer: TextTokenizer;
  readonly config: ModelConfig;
  readonly generationConfig: Readonly<Record<string, unknown>>;
  private readonly model: DecoderModel;

  /**
   * @param parts - session, tokenizer and configs
   * @throws {AdapterError} `INVALID_ARGUMENT` when the graph lacks `input_ids` or `logits`
   */
  constructor(parts: CausalLMParts) {
    this.session = parts.session;
    this.tokenizer = parts.tokenizer;
    this.config = parts.config;
    this.generationConfig = parts.generationConfig ?? {};
    const inputs = this.session.inputNames;
    if (!inputs.includes('input_ids') || !this.session.outputNames.includes('logits')) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `a causal LM graph needs an input_ids input and a logits output; this one has inputs [${inputs.join(', ')}] and outputs [${this.session.outputNames.join(', ')}]`,
      );
    }
    this.model = {
      session: this.session,
      cache: CacheLayout.of(this.session.inputMetadata, this.session.outputNames, this.config),
      positionIds: inputs.includes('position_ids'),
      attentionMask: inputs.includes('attention_mask'),
    };
  }

  /** Whether the graph takes a KV cache (`past_key_values.*` inputs). */
  get hasCache(): boolean {
    return this.model.cache.hasCache;
  }

  /**
   * The token ids a prompt starts from.
   *
   * @param prompt - text, conversation or ids
   * @param chat - chat template settings
   * @returns the ids
   * @throws {AdapterError} `INVALID_ARGUMENT` for an empty prompt
   */
  encodePrompt(prompt: GenerationPrompt, chat: ChatTemplateOptions = {}): number[] {
    if (typeof prompt === 'string') return this.tokenizer.encode(prompt);
    if (prompt.ids !== undefined) return [...prompt.ids];
    if (prompt.messages !== undefined) {
      const { text, addSpecialTokens } = this.tokenizer.chatPrompt(prompt.messages, chat);
      return this.tokenizer.encode(text, addSpecialTokens);
    }
    if (prompt.prompt !== undefined) return this.tokenizer.encode(prompt.prompt);
    throw new AdapterError('INVALID_ARGUMENT', 'a prompt needs one of prompt, messages or ids');
  }

  /**
   * Generates for a batch of prompts, streaming each prompt's text as it is decoded.
   *
   * @param prompts - one or more prompts (a batch, padded on the left)
   * @param options - generation settings (defaults from `generation_config.json`)
   * @returns chunks of every prompt, in decoding order; each prompt's last chunk has `finishReason`
   * @throws {AdapterError} `INVALID_ARGUMENT` (bad settings, a prompt longer than the model's positions), `UNKNOWN_ADAPTER`, `ABORTED`, `BACKEND_FAILED`
   */
  stream(
    prompts: GenerationPrompt | readonly GenerationPrompt[],
    options: GenerateOptions = {},
  ): AsyncGenerator<GenerationChunk> {
    const list = asList(prompts);
    return this.decode(
      list,
      list.map((p) => this.encodePrompt(p, options.chat)),
      options,
    );
  }

  private async *decode(
    list: readonly GenerationPrompt[],
    ids: readonly (readonly number[])[],
    options: GenerateOptions,
  ): AsyncGenerator<GenerationChunk> {
    if (list.length === 0) return;
    const settings = resolveGeneration(options, this.generationConfig, this.config);
    const width = Math.max(...ids.map((p) => p.length));
    const budgets = ids.map((p) => this.budgetOf(p.length, newTokenBudget(settings, width)));
    const seed = settings.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
    // row 0 draws what a prompt alone draws; other rows get their own streams
    const random: Random[] = ids.map((_, r) =>
      createSeededRandom(r === 0 ? seed : deriveSeed(seed, `row ${r}`)),
    );
    const names = this.rowAdapters(list);
    const texts = ids.map(() => new IncrementalText((t) => this.tokenizer.decode(t), settings.stop));
    for (const rows of this.batches(names, ids.length)) {
      const decoder = new BatchDecoder(this.model, {
        prompts: rows.map((r) => ids[r] as number[]),
        budgets: rows.map((r) => budgets[r] as number),
        settings,
        random: rows.map((r) => random[r] as Random),
        adapterNames: names === undefined ? undefined : rows.map((r) => names[r] as string),
        signal: options.signal,
      });
      const reported = rows.map((_, k) => decoder.finished[k] !== undefined);
      for (const [k, r] of rows.entries()) {
        const reason = decoder.finished[k];
        if (reason !== undefined) yield { index: r, text: '', tokenIds: [], finishReason: reason };
      }
      while (!decoder.done) {
        const tokens = await decoder.step();
        for (const [k, r] of rows.entries()) {
          const token = tokens[k];
          if (token === undefined || reported[k]) continue;
          const text = texts[r] as IncrementalText;
          const delta = text.push([token]);
          if (delta.stopped) decoder.finish(k, 'stop');
          const reason = decoder.finished[k];
          if (reason === undefined) {
            yield { index: r, text: delta.text, tokenIds: [token] };
          } else {
            reported[k] = true;
            yield { index: r, text: delta.text + text.flush(), tokenIds: [token], finishReason: reason };
          }
        }
      }
    }
  }

  /**
   * The batches to decode, as prompt indices: all prompts at once, except per-prompt adapters in merged mode,
   * which runs one adapter per run: one batch per adapter, one after another.
   */
  private batches(names: readonly string[] | undefined, count: number): number[][] {
    const all = Array.from({ length: count }, (_, r) => r);
    if (names === undefined || this.session.mode === 'dynamic') return [all];
    const groups = new Map<string, number[]>();
    for (const r of all) {
      const name = names[r] as string;
      const group = groups.get(name) ?? [];
      group.push(r);
      groups.set(name, group);
    }
    return [...groups.values()];
  }

  /**
   * Generates for one prompt.
   *
   * @param prompt - the prompt
   * @param options - generation settings
   * @returns the output
   */
  generate(prompt: GenerationPrompt, options?: GenerateOptions): Promise<GenerationResult>;
  /**
   * Generates for a batch of prompts (padded on the left, decoded together).
   *
   * @param prompts - the prompts
   * @param options - generation settings
   * @returns one output per prompt, in order
   */
  generate(prompts: readonly GenerationPrompt[], options?: GenerateOptions): Promise<GenerationResult[]>;
  async generate(
    prompts: GenerationPrompt | readonly GenerationPrompt[],
    options: GenerateOptions = {},
  ): Promise<GenerationResult | GenerationResult[]> {
    const list = asList(prompts);
    const ids = list.map((p) => this.encodePrompt(p, options.chat));
    const parts = list.map(() => ({
      text: '',
      tokenIds: [] as number[],
      finishReason: 'length' as FinishReason,
    }));
    for await (const chunk of this.decode(list, ids, options)) {
      const part = parts[chunk.index] as (typeof parts)[number];
      part.text += chunk.text;
      part.tokenIds.push(...chunk.tokenIds);
      if (chunk.finishReason !== undefined) part.finishReason = chunk.finishReason;
    }
    const results = parts.map((part, index) => ({ index, ...part, promptTokenIds: ids[index] ?? [] }));
    return Array.isArray(prompts) ? results : (results[0] as GenerationResult);
  }

  /** Closes the session (its backend sessions and the adapters it loaded); safe to call twice. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** A row's budget, cut where the model's position embeddings end. */
  private budgetOf(promptLength: number, budget: number): number {
    const max = this.config.maxPositions;
    if (max === undefined) return budget;
    if (promptLength > max) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `the prompt has ${promptLength} tokens; the model handles ${max} positions at most`,
      );
    }
    return Math.min(budget, max - promptLength);
  }

  /** One adapter per row when prompts name their own; rows that do not use the session's single active adapter. */
  private rowAdapters(list: readonly GenerationPrompt[]): string[] | undefined {
    const named = list.map((p) => (typeof p === 'string' ? undefined : p.adapter));
    if (named.every((n) => n === undefined)) return undefined;
    const active =
      this.session.adaptersEnabled && this.session.adapterNames.length > 0
        ? this.session.activeAdapters()
        : [];
    if (active.length > 1 && named.some((n) => n === undefined)) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `prompts without an adapter would run with several active adapters (${active.join(', ')}); name one per prompt`,
      );
    }
    const fallback = active[0] ?? BASE_ADAPTER_NAME;
    return named.map((n) => n ?? fallback);
  }
}

function asList(prompts: GenerationPrompt | readonly GenerationPrompt[]): readonly GenerationPrompt[] {
  return Array.isArray(prompts) ? prompts : [prompts as GenerationPrompt];
}
