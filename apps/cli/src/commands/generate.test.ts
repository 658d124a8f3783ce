import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@peftjs/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.test-helper.js';

const demo = join(repoRoot, 'examples', 'tiny-chat');
const model = join(demo, 'tiny-chat-en');
const lora = join(demo, 'tiny-chat-zh-lora');
const expected = JSON.parse(readFileSync(join(demo, 'expected.json'), 'utf8')) as {
  prompt_template: string;
  greedy: { question: string; base: string; adapter: string; base_ids: number[]; adapter_ids: number[] }[];
};
const prompt = (i: number) =>
  expected.prompt_template.replace('{question}', expected.greedy[i]?.question ?? '');
const scratch = mkdtempSync(join(tmpdir(), 'peftjs-cli-generate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('peftjs generate', () => {
  it.each(['merged', 'dynamic'])('streams the adapter answer PyTorch + PEFT gave (%s mode)', async (mode) => {
    const r = await runCli([
      'generate',
      '--model',
      model,
      '--adapter',
      lora,
      '--mode',
      mode,
      '--prompt',
      prompt(0),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected.greedy[0]?.adapter}\n`);
    expect(r.stderr).toMatch(/— 13 tokens in \d+ ms \([\d.]+ tokens\/s\), ended by eos; \w+ mode, default/);
  });

  it('answers with the base model with no adapter or --disable-adapters', async () => {
    const plain = await runCli([
      'generate',
      '--model',
      model,
      '--prompt',
      prompt(1),
      '--max-new-tokens',
      '40',
    ]);
    expect(plain.stdout).toBe(`${expected.greedy[1]?.base}\n`);
    const off = await runCli([
      'generate',
      '--model',
      model,
      '--adapter',
      lora,
      '--disable-adapters',
      '--prompt',
      prompt(1),
    ]);
    expect(off.stdout).toBe(`${expected.greedy[1]?.base}\n`);
    expect(off.stderr).toContain('adapters disabled');
  });

  it('--json: a batch of prompts with token ids equal to expected.json', async () => {
    const r = await runCli([
      'generate',
      '--model',
      model,
      '--adapter',
      `zh=${lora}`,
      '--mode',
      'dynamic',
      '--prompt',
      prompt(2),
      '--prompt',
      prompt(3),
      '--max-new-tokens',
      '40',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      mode: string;
      active: string;
      results: { text: string; finishReason: string; promptTokens: number; tokenIds: number[] }[];
    };
    expect(report).toMatchObject({ mode: 'dynamic', active: 'zh' });
    report.results.forEach((res, k) => {
      const g = expected.greedy[k + 2];
      expect(res.text).toBe(g?.adapter);
      expect(res.finishReason).toBe('eos');
      expect(res.tokenIds).toEqual(g?.adapter_ids.slice(res.promptTokens));
    });
  });

  it('--chat: a conversation inline or from a file ("Role: content" lines without a template)', async () => {
    const messages = JSON.stringify([{ role: 'user', content: expected.greedy[4]?.question }]);
    const inline = await runCli(['generate', '--model', model, '--adapter', lora, '--chat', messages]);
    expect(inline.stdout).toBe(`${expected.greedy[4]?.adapter}\n`);
    const file = join(scratch, 'chat.json');
    writeFileSync(file, messages);
    const fromFile = await runCli(['generate', '--model', model, '--chat', file]);
    expect(fromFile.stdout).toBe(`${expected.greedy[4]?.base}\n`);
  });

  it('sampling flags: the same seed gives the same text; --stop cuts the answer', async () => {
    const args = [
      'generate',
      '--model',
      model,
      '--prompt',
      prompt(0),
      '--temperature',
      '1.2',
      '--seed',
      '5',
      '--json',
    ];
    const a = JSON.parse((await runCli(args)).stdout) as { results: { tokenIds: number[] }[] };
    const b = JSON.parse((await runCli(args)).stdout) as { results: { tokenIds: number[] }[] };
    expect(b.results[0]?.tokenIds).toEqual(a.results[0]?.tokenIds);
    const stopped = await runCli([
      'generate',
      '--model',
      model,
      '--adapter',
      lora,
      '--prompt',
      prompt(0),
      '--stop',
      '最大',
    ]);
    expect(stopped.stdout).toBe(' 蓝鲸是世界上\n');
    expect(stopped.stderr).toContain('ended by stop');
  });

  it.each([
    [['--prompt', 'x'], '--model is required'],
    [['--model', model], 'pass --prompt'],
    [['--model', model, '--prompt', 'x', '--chat', '[]'], 'not both'],
    [['--model', model, '--chat', '{"role": "user"}'], 'non-empty list'],
    [['--model', model, '--prompt', 'x', '--top-p', 'high'], '--top-p must be a number'],
    [['--model', model, '--prompt', 'x', '--greedy', '--seed', '1'], '--greedy cannot'],
    [['--model', join(scratch, 'nope'), '--prompt', 'x'], 'does not exist'],
  ])('usage error for %j', async (args, message) => {
    const r = await runCli(['generate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("an unknown --set-adapter fails with PEFT's message", async () => {
    const r = await runCli([
      'generate',
      '--model',
      model,
      '--adapter',
      lora,
      '--set-adapter',
      'fr',
      '--prompt',
      'x',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fr not found/);
  });
});
