import { existsSync, readFileSync } from 'node:fs';
import type { ChatMessage, GenerationPrompt, GenerationResult } from '@peftjs/runtime-node';
import { parseFlags } from '../args.js';
import { type Command, UsageError } from '../io.js';
import {
  activeLabel,
  generationFlags,
  generationOptions,
  generationUsage,
  openModel,
} from './generation-flags.js';

const usage = `usage: peftjs generate --model <dir> [--adapter [name=]<dir>]... (--prompt <text>... | --chat <json>)
                       [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S]
                       [--mode merged|dynamic] [--json] [more options below]

Generates text with an ONNX language model and PEFT adapters (onnxruntime-node, CPU). One prompt streams its
answer to stdout as it is decoded; several --prompt flags run as one batch (padded) and print in order. The
answer alone goes to stdout; a summary line (tokens, time, why it ended) goes to stderr.

  --prompt <text>            the prompt, as is (repeat for a batch)
  --chat <json>              a conversation: a JSON list of {"role", "content"} messages, or a file holding
                             one; rendered with the model's chat template ("Role: content" lines without one)
${generationUsage}
  --json                     print one JSON object (text, token ids, finish reason, timings) instead`;

function conversation(value: string): ChatMessage[] {
  let parsed: unknown;
  const text = value.trimStart().startsWith('[') || !existsSync(value) ? value : readFileSync(value, 'utf8');
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--chat must be a JSON list of messages or a file holding one: ${String(error)}`);
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.length > 0 &&
    parsed.every(
      (m) =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as ChatMessage).role === 'string' &&
        typeof (m as ChatMessage).content === 'string',
    );
  if (!ok) {
    throw new UsageError(
      `--chat must be a non-empty list of {"role", "content"} messages, got ${text.slice(0, 80)}`,
    );
  }
  return parsed as ChatMessage[];
}

/** `peftjs generate`: text from a prompt or a conversation, streamed. */
export const generate: Command = {
  name: 'generate',
  summary: 'generate text with an ONNX language model and adapters (streams to stdout)',
  usage,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        ...generationFlags,
        prompt: { type: 'string', multiple: true },
        chat: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const texts = (values.prompt as string[] | undefined) ?? [];
    if (texts.length > 0 === (values.chat !== undefined)) {
      throw new UsageError('pass --prompt <text> (one or more) or --chat <json>, not both');
    }
    const prompts: GenerationPrompt[] =
      values.chat === undefined ? texts : [{ messages: conversation(String(values.chat)) }];
    const options = generationOptions(values);
    const started = performance.now();
    const { lm, mode } = await openModel(values, 'merged');
    const loadMs = performance.now() - started;
    const active = activeLabel(lm);
    let results: GenerationResult[];
    const genStart = performance.now();
    try {
      if (values.json === true || prompts.length > 1) {
        results = await lm.generate(prompts, options);
      } else {
        results = [await streamOne(lm, prompts[0] as GenerationPrompt, options, io.stdout)];
      }
    } finally {
      await lm.close();
    }
    const genMs = performance.now() - genStart;
    const tokens = results.reduce((n, r) => n + r.tokenIds.length, 0);
    if (values.json === true) {
      const report = {
        model: values.model,
        mode,
        active,
        results: results.map((r) => ({
          text: r.text,
          finishReason: r.finishReason,
          promptTokens: r.promptTokenIds.length,
          tokenIds: r.tokenIds,
        })),
        loadMs: Math.round(loadMs),
        generateMs: Math.round(genMs),
        tokensPerSecond: Number(((tokens * 1000) / genMs).toFixed(1)),
      };
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    if (prompts.length > 1) {
      for (const r of results) io.stdout.write(`[${r.index}] ${texts[r.index]}${r.text}\n`);
    }
    const reasons = [...new Set(results.map((r) => r.finishReason))].join(', ');
    io.stderr.write(
      `\n— ${tokens} tokens in ${Math.round(genMs)} ms (${((tokens * 1000) / genMs).toFixed(1)} tokens/s), ended by ${reasons}; ${mode} mode, ${active}, model loaded in ${Math.round(loadMs)} ms\n`,
    );
    return 0;
  },
};

async function streamOne(
  lm: Awaited<ReturnType<typeof openModel>>['lm'],
  prompt: GenerationPrompt,
  options: ReturnType<typeof generationOptions>,
  out: { write(text: string): unknown },
): Promise<GenerationResult> {
  const promptTokenIds = lm.encodePrompt(prompt);
  let text = '';
  const tokenIds: number[] = [];
  let finishReason: GenerationResult['finishReason'] = 'length';
  for await (const chunk of lm.stream(prompt, options)) {
    out.write(chunk.text);
    text += chunk.text;
    tokenIds.push(...chunk.tokenIds);
    if (chunk.finishReason !== undefined) finishReason = chunk.finishReason;
  }
  out.write('\n');
  return { index: 0, text, tokenIds, promptTokenIds, finishReason };
}
