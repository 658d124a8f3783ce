import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, repoRoot } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { isAdapterError } from '../errors.js';
import { memoryFiles } from '../file-access.js';
import { readTextModelFiles } from './model-folder.js';
import { type ChatMessage, TextTokenizer } from './text-tokenizer.js';

const demoDir = join(repoRoot, 'examples', 'tiny-chat', 'tiny-chat-en');
const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const tokenizerJson = readJson(join(demoDir, 'tokenizer.json'));
const tokenizerConfig = readJson(join(demoDir, 'tokenizer_config.json'));

interface TemplateCase {
  readonly template: string;
  readonly messages: ChatMessage[];
  readonly add_generation_prompt: boolean;
  readonly text?: string;
  readonly ids?: number[];
  readonly error?: string;
}
const oracle = readJson(fixturePath('generated', 'generate', 'chat-templates.json')) as unknown as {
  templates: Record<string, string>;
  cases: TemplateCase[];
};

function folder(dir: string, extra: Record<string, Uint8Array> = {}) {
  const files: Record<string, Uint8Array> = { ...extra };
  for (const name of readdirSync(dir)) {
    if (statSync(join(dir, name)).isFile()) files[name] = readFileSync(join(dir, name));
  }
  return memoryFiles(files, dir);
}

describe('TextTokenizer on the demo tokenizer', () => {
  const tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig);
  const expected = readJson(join(repoRoot, 'examples', 'tiny-chat', 'expected.json')) as unknown as {
    prompt_template: string;
    greedy: { question: string; base_ids: number[]; adapter_ids: number[] }[];
  };

  it("encodes each demo prompt to PyTorch's prompt ids and decodes the answers", () => {
    for (const g of expected.greedy) {
      const ids = tokenizer.encode(expected.prompt_template.replace('{question}', g.question));
      expect(g.base_ids.slice(0, ids.length)).toEqual(ids);
      expect(g.adapter_ids.slice(0, ids.length)).toEqual(ids);
    }
    expect(tokenizer.decode([221, 550, 166, 111, 117, 478, 589, 362, 402, 587, 291, 225, 0])).toBe(
      ' 蓝鲸是世界上最大的动物。',
    );
    expect(tokenizer.decode([14, 0], false)).toBe('.<|endoftext|>');
  });

  it('without a chat template: plain "Role: content" lines ending in "Assistant:", the demo format', () => {
    expect(tokenizer.chatTemplate).toBeUndefined();
    const { text, addSpecialTokens } = tokenizer.chatPrompt([
      { role: 'user', content: 'What color is grass?' },
    ]);
    expect(text).toBe(expected.prompt_template.replace('{question}', 'What color is grass?'));
    expect(addSpecialTokens).toBe(true);
    expect(() => tokenizer.applyChatTemplate([])).toThrow(/no chat template/);
  });
});

const rendered = oracle.cases.filter((c) => c.error === undefined);

describe("chat templates (oracle: transformers' apply_chat_template)", () => {
  it('covers three templates, two conversations, with and without the generation prompt', () => {
    expect(rendered).toHaveLength(12);
  });

  it.each(rendered.map((c, i) => [`${c.template} #${i}`, c] as const))('%s', (_name, c) => {
    const tokenizer = new TextTokenizer(tokenizerJson, {
      ...tokenizerConfig,
      chat_template: oracle.templates[c.template],
    });
    const { text, addSpecialTokens } = tokenizer.chatPrompt(c.messages, {
      addGenerationPrompt: c.add_generation_prompt,
    });
    expect(text).toBe(c.text);
    expect(tokenizer.encode(text, addSpecialTokens)).toEqual(c.ids);
  });

  it("surfaces raise_exception's message as INVALID_ARGUMENT", () => {
    const c = oracle.cases.find((x) => x.error !== undefined) as TemplateCase;
    const tokenizer = new TextTokenizer(tokenizerJson, {
      chat_template: oracle.templates[c.template],
    });
    try {
      tokenizer.applyChatTemplate(c.messages);
      expect.unreachable();
    } catch (error) {
      expect(isAdapterError(error) && error.code).toBe('INVALID_ARGUMENT');
      expect(String((error as Error & { cause?: unknown }).cause)).toContain(c.error);
    }
  });

  it('reads chat_template.jinja (transformers 5 saves the template there), and a named template list', async () => {
    const saved = fixturePath('generated', 'generate', 'chat-tokenizer');
    expect(readJson(join(saved, 'tokenizer_config.json')).chat_template).toBeUndefined();
    const files = folder(demoDir, {
      'chat_template.jinja': readFileSync(join(saved, 'chat_template.jinja')),
    });
    const { tokenizer } = await readTextModelFiles(files);
    expect(tokenizer.chatTemplate).toBe(oracle.templates.chatml);
    const chatml = rendered.find((c) => c.template === 'chatml' && c.add_generation_prompt) as TemplateCase;
    expect(tokenizer.chatPrompt(chatml.messages).text).toBe(chatml.text);
    const named = new TextTokenizer(tokenizerJson, {
      chat_template: [
        { name: 'tool_use', template: 'tools' },
        { name: 'default', template: '{{ messages[0].content }}!' },
      ],
    });
    expect(named.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('hi!');
  });
});

describe('readTextModelFiles', () => {
  it("reads the demo model's folder", async () => {
    const files = await readTextModelFiles(folder(demoDir));
    expect(files.config).toMatchObject({
      modelType: 'gpt2',
      layers: 4,
      kvHeads: 4,
      headDim: 32,
      vocabSize: 640,
    });
    expect(files.generationConfig).toMatchObject({ eos_token_id: 0, pad_token_id: 0 });
    expect(files.tokenizer.specialToken('eos_token')).toBe('<|endoftext|>');
  });

  it('says which file is missing or broken', async () => {
    await expect(readTextModelFiles(memoryFiles({}, 'empty'))).rejects.toThrow(/config\.json/);
    const broken = memoryFiles({ 'config.json': new TextEncoder().encode('{nope') }, 'broken');
    await expect(readTextModelFiles(broken)).rejects.toThrow(/broken\/config\.json is not valid JSON/);
  });
});
