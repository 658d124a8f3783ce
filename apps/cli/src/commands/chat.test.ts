import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { repoRoot } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { main } from '../index.js';

const demo = join(repoRoot, 'examples', 'tiny-chat');
const model = join(demo, 'tiny-chat-en');
const lora = join(demo, 'tiny-chat-zh-lora');
const expected = JSON.parse(readFileSync(join(demo, 'expected.json'), 'utf8')) as {
  greedy: { question: string; base: string; adapter: string }[];
};
const q = (i: number) => expected.greedy[i]?.question ?? '';
const a = (i: number, kind: 'base' | 'adapter') => (expected.greedy[i]?.[kind] ?? '').trim();

/** Runs `peftjs chat` with typed lines on stdin; returns what it printed. */
async function chat(args: string[], lines: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['chat', ...args], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    stdin: Readable.from(lines.map((l) => `${l}\n`)),
    env: {},
  });
  return { code, out, err };
}

describe('peftjs chat', () => {
  it('answers, switches, disables, deletes and loads adapters mid-conversation', async () => {
    const r = await chat(
      ['--model', model, '--adapter', `zh=${lora}`, '--no-history'],
      [
        q(0),
        '/disable',
        q(0),
        '/enable',
        '/adapters',
        '/delete zh',
        q(1),
        `/load zh2=${lora}`,
        q(1),
        '/use nope',
        '/reset',
        '/frobnicate',
        '/exit',
        'never read',
      ],
    );
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^peftjs chat — .*tiny-chat-en \(dynamic mode, KV cache\), active: zh\./);
    expect(lines).toContain(`you> zh> ${a(0, 'adapter')}`);
    expect(lines).toContain('you> adapters disabled: answering with the base model');
    expect(lines).toContain(`you> base> ${a(0, 'base')}`);
    expect(r.out).toMatch(/\* zh {2}LORA, 16 modules {2}.*tiny-chat-zh-lora/);
    expect(lines).toContain('you> deleted zh; active: no adapter');
    expect(lines).toContain(`you> base> ${a(1, 'base')}`);
    expect(r.out).toMatch(/loaded zh2 in \d+ ms; active: zh2/);
    expect(lines).toContain(`you> zh2> ${a(1, 'adapter')}`);
    expect(r.out).toContain('error: Adapter with name nope not found');
    expect(r.out).toContain('conversation cleared');
    expect(r.out).toContain('unknown command /frobnicate');
    expect(r.out).not.toContain('never read');
  });

  it('keeps the conversation (Role: content lines), dropping old turns that no longer fit', async () => {
    const questions = Array.from({ length: 8 }, (_, i) => q(i % 9));
    const r = await chat(
      ['--model', model, '--disable-adapters', '--adapter', lora, '--max-new-tokens', '12'],
      [...questions, '/help'],
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(`base> ${a(0, 'base')}`);
    expect(r.out.match(/base> /g)).toHaveLength(8);
    expect(r.out).toContain('/load <name>=<dir>');
  });

  it('needs --model', async () => {
    const r = await chat([], []);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--model is required');
  });
});
