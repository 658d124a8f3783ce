import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GenerationResult, loadCausalLM, type SessionMode } from '@peftjs/runtime-node';
import { columnWidths, displayWidth, sideBySide } from './side-by-side.js';

/** examples/tiny-chat: the model, the adapter and PyTorch's outputs. */
export const DEMO_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** What `expected.json` holds (see the README). */
export interface DemoExpected {
  readonly prompt_template: string;
  readonly max_new_tokens: number;
  readonly greedy: readonly { question: string; base_ids: number[]; adapter_ids: number[] }[];
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** `'dynamic'` (one session, the adapter switched per run; default) or `'merged'`. */
  readonly mode?: SessionMode;
  /** Questions to ask instead of the nine of `expected.json`. */
  readonly questions?: readonly string[];
  /** Terminal width for the table. @defaultValue 100 */
  readonly columns?: number;
  /** ONNX Runtime threads per operator. */
  readonly threads?: number;
}

/** What the demo measured and answered. */
export interface DemoReport {
  readonly questions: readonly string[];
  readonly base: readonly GenerationResult[];
  readonly adapter: readonly GenerationResult[];
  /** Answers equal to PyTorch + PEFT's token ids, out of the answers that have a reference. */
  readonly matches: { readonly equal: number; readonly checked: number };
  readonly ms: {
    readonly model: number;
    readonly adapter: number;
    readonly base: number;
    readonly lora: number;
  };
}

const ms = (start: number) => performance.now() - start;
const fmt = (t: number) => (t >= 100 ? t.toFixed(0) : t.toFixed(1));

/**
 * Loads the tiny English chat model and its Chinese LoRA, asks every question without and with the adapter (one
 * batch each), checks the answers against PyTorch's, and prints them side by side with the timings.
 *
 * @param options - mode, questions, table width
 * @param print - where the lines go
 * @returns the answers and timings
 */
export async function runDemo(options: DemoOptions, print: (line: string) => void): Promise<DemoReport> {
  const expected = JSON.parse(readFileSync(join(DEMO_DIR, 'expected.json'), 'utf8')) as DemoExpected;
  const mode = options.mode ?? 'dynamic';
  const questions = options.questions ?? expected.greedy.map((g) => g.question);
  const prompts = questions.map((q) => expected.prompt_template.replace('{question}', q));
  print('peftjs demo — a tiny English chat model and a PEFT LoRA that makes it answer in Chinese');
  print(
    `  model   examples/tiny-chat/tiny-chat-en       (GPT-2 style, 4 layers, hidden 128, ONNX with KV cache)`,
  );
  print(`  adapter examples/tiny-chat/tiny-chat-zh-lora  (LoRA r=16 on c_attn, c_proj, c_fc; PEFT 0.21)`);
  print(
    `  mode    ${mode}, greedy, ${expected.max_new_tokens} new tokens at most, prompt "${expected.prompt_template.replace('\n', '\\n')}"`,
  );
  print('');

  let start = performance.now();
  const lm = await loadCausalLM(join(DEMO_DIR, 'tiny-chat-en'), {
    mode,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  try {
    const model = ms(start);
    start = performance.now();
    await lm.session.loadAdapter(join(DEMO_DIR, 'tiny-chat-zh-lora'), 'zh');
    const adapterMs = ms(start);
    const settings = { maxNewTokens: expected.max_new_tokens };
    lm.session.disableAdapters();
    start = performance.now();
    const base = await lm.generate(prompts, settings);
    const baseMs = ms(start);
    lm.session.enableAdapters();
    start = performance.now();
    const adapter = await lm.generate(prompts, settings);
    const loraMs = ms(start);

    const widths = columnWidths(options.columns ?? 100, Math.max(...questions.map(displayWidth)), 2);
    const rows = questions.map((q, i) => [q, base[i]?.text ?? '', adapter[i]?.text ?? '']);
    print(sideBySide(['Question', 'Without adapter', 'With tiny-chat-zh-lora'], rows, widths));
    print('');

    let equal = 0;
    let checked = 0;
    questions.forEach((q, i) => {
      const g = expected.greedy.find((e) => e.question === q);
      if (g === undefined) return;
      for (const [result, ids] of [
        [base[i], g.base_ids],
        [adapter[i], g.adapter_ids],
      ] as const) {
        checked++;
        if (result !== undefined && [...result.promptTokenIds, ...result.tokenIds].join() === ids.join())
          equal++;
      }
    });
    const tokens = (rs: readonly GenerationResult[]) => rs.reduce((n, r) => n + r.tokenIds.length, 0);
    print(`load      model ${fmt(model)} ms, adapter ${fmt(adapterMs)} ms`);
    for (const [label, rs, t, note] of [
      ['no adapter', base, baseMs, '; the first run also creates the ONNX Runtime session'],
      ['with LoRA ', adapter, loraMs, ''],
    ] as const) {
      const n = tokens(rs);
      const rate = fmt((n * 1000) / t);
      print(
        `generate  ${label} ${rs.length} answers, ${n} tokens in ${fmt(t)} ms (${rate} tokens/s, one batch${note})`,
      );
    }
    if (checked > 0) {
      print(`check     ${equal}/${checked} answers have PyTorch + PEFT's greedy token ids (expected.json)`);
    }
    return {
      questions,
      base,
      adapter,
      matches: { equal, checked },
      ms: { model, adapter: adapterMs, base: baseMs, lora: loraMs },
    };
  } finally {
    await lm.close();
  }
}
