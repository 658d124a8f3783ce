// create_or_update_model_card on cards with every kind of YAML front matter (fixtures/generated/card/yaml.json).
import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { PEFT_FRAMEWORK } from './card-fixtures.test.helper.js';
import { isModelCardError } from './errors.js';
import { type ModelCardOptions, updateModelCard } from './peft-card.js';

interface YamlCase {
  name: string;
  before: string;
  after?: string;
  error?: string;
}

const cases = JSON.parse(readFileSync(fixturePath('generated', 'card', 'yaml.json'), 'utf8')) as YamlCase[];

// The model gen_card.py updates the cards with: tiny OPT named facebook/opt-125m, LoRA, CAUSAL_LM.
const options: ModelCardOptions = {
  peftType: 'LORA',
  taskType: 'CAUSAL_LM',
  baseModel: 'facebook/opt-125m',
  framework: PEFT_FRAMEWORK,
};

/** Valid YAML PyYAML reads and this package refuses on purpose, with UNSUPPORTED_YAML. */
const UNSUPPORTED: Record<string, string> = {
  anchor: 'anchors and aliases',
  'complex-key': 'complex `? ` keys',
  merge: 'merge keys',
  'err-surrogate': 'escaped lone surrogates (JavaScript would pair them up)',
  'bool-nested-key': 'keys that are not strings',
  'flow-pair': 'single-pair mappings inside […]',
};

const supported = cases.filter((c) => c.after !== undefined && !(c.name in UNSUPPORTED));
const failing = cases.filter((c) => c.error !== undefined);

describe('YAML front matter corpus', () => {
  it('has hand-written and random cases, PyYAML errors among them, and each unsupported name exists', () => {
    expect(cases.filter((c) => c.name.startsWith('random-')).length).toBe(160);
    expect(supported.length).toBeGreaterThan(200);
    expect(failing.length).toBeGreaterThanOrEqual(15);
    for (const name of Object.keys(UNSUPPORTED)) expect(cases.map((c) => c.name)).toContain(name);
  });

  it.each(supported.map((c) => [c.name, c] as const))('%s: same bytes as PEFT', (_name, c) => {
    expect(updateModelCard(c.before, options)).toBe(c.after);
  });

  it.each(Object.entries(UNSUPPORTED))('%s: refused as unsupported (%s)', (name) => {
    const c = cases.find((x) => x.name === name) as YamlCase;
    expect(c.after).toBeDefined();
    expect(() => updateModelCard(c.before, options)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_YAML' }),
    );
  });

  it.each(failing.map((c) => [c.name, c] as const))(
    '%s: PyYAML or huggingface_hub fails, so do we',
    (_name, c) => {
      let caught: unknown;
      try {
        updateModelCard(c.before, options);
      } catch (error) {
        caught = error;
      }
      expect(isModelCardError(caught), `PEFT: ${c.error}`).toBe(true);
      const code = (caught as { code: string }).code;
      expect(['INVALID_YAML', 'INVALID_METADATA']).toContain(code);
    },
  );
});
