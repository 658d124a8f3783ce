/**
 * PEFT's own module-selection decisions (fixtures/generated/config/module-selection.json, made by running
 * check_target_module_exists / get_pattern_key and real get_peft_model on tiny OPT, GPT-2, Llama, T5 and BERT).
 */
import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { withDefaultTargetModules } from './default-target-modules.js';
import { expandAllLinear, isFeedforwardModule, isTargetModule } from './module-selection.js';
import { parseAdapterConfig } from './parse-adapter-config.js';
import { alphaOf, rankOf, scalingOf } from './pattern-key.js';
import { compareCodePoints } from './python-json-dump.js';
import { withTaskModulesToSave } from './task-modules.js';
import type { AdapterConfig } from './types.js';

interface Expectation {
  targeted: boolean;
  r?: number;
  alpha?: number;
  scaling?: number;
  feedforward?: boolean;
}
interface SelectionCase {
  name: string;
  model: string | null;
  config: Record<string, unknown>;
  keys: string[];
  linear_modules: string[] | null;
  output_embedding: string | null;
  saved_target_modules: string[] | string | null;
  expected: Record<string, Expectation>;
}

const cases = JSON.parse(
  readFileSync(fixturePath('generated', 'config', 'module-selection.json'), 'utf8'),
) as SelectionCase[];

/** The config as PEFT holds it once get_peft_model has wrapped the model. */
function resolve(c: SelectionCase): AdapterConfig {
  let config = parseAdapterConfig(c.config).config;
  if (c.model === null) return config;
  config = withTaskModulesToSave(config);
  config = withDefaultTargetModules(config, c.model.split('/')[0] as string);
  return expandAllLinear(config, {
    linearModules: c.linear_modules ?? [],
    outputEmbedding: c.output_embedding,
  });
}

describe('module selection against PEFT 0.21', () => {
  it('has cases, synthetic and on real models', () => {
    expect(cases.filter((c) => c.model === null).length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.model !== null).length).toBeGreaterThan(0);
  });

  it.each(cases.map((c) => [c.name, c]))('%s', (_name, c) => {
    const config = resolve(c);
    if (c.saved_target_modules !== null) {
      const ours = config.target_modules;
      const sorted = (v: unknown) => (Array.isArray(v) ? [...v].sort(compareCodePoints) : v);
      expect(sorted(ours)).toEqual(sorted(c.saved_target_modules));
    }
    const targeted = Object.entries(c.expected).filter(([, e]) => e.targeted);
    expect(targeted.length).toBeGreaterThan(0);
    for (const [key, e] of Object.entries(c.expected)) {
      expect(isTargetModule(config, key), key).toBe(e.targeted);
      if (!e.targeted) continue;
      if (config.peft_type === 'IA3') {
        expect(isFeedforwardModule(config, key), `${key} feedforward`).toBe(e.feedforward);
        continue;
      }
      expect(rankOf(config, key), `${key} r`).toBe(e.r);
      expect(alphaOf(config, key), `${key} alpha`).toBe(e.alpha);
      expect(scalingOf(config, key), `${key} scaling`).toBe(e.scaling);
    }
  });
});
