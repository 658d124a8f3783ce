import { readdirSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import {
  type CardCase,
  cardSectionCases,
  generatedCardCases,
  goldenCardCases,
  PEFT_FRAMEWORK,
} from './card-fixtures.test.helper.js';
import { DEFAULT_CARD_TEXT } from './default-card-text.js';
import { parseModelCard } from './front-matter.js';
import { createModelCard, modelCardOptionsFromConfig, updateModelCard } from './peft-card.js';
import { DEFAULT_FRAMEWORK } from './version.js';

const golden = goldenCardCases();
const generated = generatedCardCases();
const section = cardSectionCases();

/** What peftjs writes for a case: a fresh card, then one update per further save, or an update of `before`. */
function reproduce(c: CardCase, framework?: string): string {
  const options = framework === undefined ? c.options : { ...c.options, framework };
  if (c.before !== undefined) return updateModelCard(c.before, options);
  let text = createModelCard(options);
  for (let i = 1; i < c.saves; i++) text = updateModelCard(text, options);
  return text;
}

describe('README.md files PEFT wrote', () => {
  it('finds every golden, generated and card-section README', () => {
    expect(golden.length).toBe(readdirSync(fixturePath('golden', 'cases')).length);
    expect(generated.length).toBeGreaterThanOrEqual(30);
    expect(section.length).toBe(
      readdirSync(fixturePath('generated', 'card', 'fresh')).length +
        readdirSync(fixturePath('generated', 'card', 'update')).length,
    );
  });

  it.each([...golden, ...generated, ...section].map((c) => [c.id, c] as const))(
    '%s: same bytes as PEFT',
    (_id, c) => {
      expect(reproduce(c, PEFT_FRAMEWORK)).toBe(c.readme);
    },
  );

  it.each(
    [...golden, ...generated, ...section.filter((c) => c.saves === 1 && c.before === undefined)].map(
      (c) => [c.id, c] as const,
    ),
  )('%s: by default only the framework line differs, and names peftjs', (_id, c) => {
    const ours = createModelCard(c.options);
    const expected = c.readme.replace(/\n- PEFT 0\.21\.0$/, `\n- ${DEFAULT_FRAMEWORK}`);
    expect(expected).not.toBe(c.readme);
    expect(ours).toBe(expected);
    expect(ours.endsWith(`### Framework versions\n\n- peftjs ${DEFAULT_FRAMEWORK.split(' ')[1]}`)).toBe(true);
  });
});

describe('createModelCard', () => {
  it('fills the template and sets PEFT metadata in huggingface_hub key order', () => {
    const card = createModelCard({ peftType: 'LORA', taskType: 'CAUSAL_LM', baseModel: 'facebook/opt-125m' });
    expect(card).toBe(
      '---\nbase_model: facebook/opt-125m\nlibrary_name: peft\npipeline_tag: text-generation\ntags:\n' +
        '- base_model:adapter:facebook/opt-125m\n- lora\n- transformers\n---\n' +
        `${DEFAULT_CARD_TEXT}\n### Framework versions\n\n- ${DEFAULT_FRAMEWORK}`,
    );
  });

  it('gives no pipeline tag but to causal LMs, and the lora tag only to LoRA', () => {
    for (const taskType of [
      'SEQ_CLS',
      'SEQ_2_SEQ_LM',
      'TOKEN_CLS',
      'QUESTION_ANS',
      'FEATURE_EXTRACTION',
      null,
    ]) {
      const { metadata } = parseModelCard(createModelCard({ peftType: 'IA3', taskType, baseModel: 'x' }));
      expect(metadata).toEqual({
        base_model: 'x',
        library_name: 'peft',
        tags: ['base_model:adapter:x', 'transformers'],
      });
    }
  });

  it('writes only library_name for a plain torch module with a non-LoRA adapter', () => {
    const card = createModelCard({ peftType: 'IA3', transformers: false });
    expect(card.startsWith('---\nlibrary_name: peft\n---\n\n# Model Card for Model ID\n')).toBe(true);
  });

  it('refuses options PEFT could not have', () => {
    expect(() => createModelCard({ peftType: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => createModelCard({ peftType: 'LORA', framework: 'a\nb' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});

describe('updateModelCard', () => {
  it("adds peftjs's line above PEFT's when updating a card PEFT wrote", () => {
    const c = golden[0] as CardCase;
    const updated = updateModelCard(c.readme, c.options);
    expect(updated).toBe(c.readme.replace(/\n- PEFT 0\.21\.0$/, `\n- ${DEFAULT_FRAMEWORK}\n- PEFT 0.21.0`));
    // Saving again changes nothing.
    expect(updateModelCard(updated, c.options)).toBe(updated);
  });

  it("keeps a person's text and metadata, and replaces the tags as PEFT does", () => {
    const before = '---\nlicense: mit\ntags: [mine]\npipeline_tag: fill-mask\n---\n# Mine\n\nHello.\n';
    const after = updateModelCard(before, {
      peftType: 'LORA',
      taskType: 'CAUSAL_LM',
      baseModel: 'b',
      framework: 'F',
    });
    expect(after).toBe(
      '---\nlicense: mit\ntags:\n- base_model:adapter:b\n- lora\n- transformers\npipeline_tag: fill-mask\n' +
        'base_model: b\nlibrary_name: peft\n---\n# Mine\n\nHello.\n### Framework versions\n\n- F',
    );
  });

  it('takes options from an adapter config, a missing base model name being the empty one', () => {
    expect(
      modelCardOptionsFromConfig({ peft_type: 'LORA', task_type: null, base_model_name_or_path: null }),
    ).toEqual({
      peftType: 'LORA',
      taskType: null,
      baseModel: '',
    });
    expect(
      modelCardOptionsFromConfig(
        { peft_type: 'IA3', task_type: 'SEQ_CLS' },
        { baseModel: 'org/m', framework: 'F' },
      ),
    ).toEqual({ peftType: 'IA3', taskType: 'SEQ_CLS', baseModel: 'org/m', framework: 'F' });
  });
});
