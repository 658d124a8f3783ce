import { readdirSync, readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { isKernelError } from '../errors.js';
import type { CombinationType } from './combination-types.js';
import {
  combinedIa3ConfigChanges,
  combinedLoraConfigChanges,
  joinModuleSelectors,
  type LoraConfigForCombination,
} from './combine-config.js';
import { allCalls } from './testdata/fixture-cases.js';

const read = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(fixturePath(...parts)));
const calls = allCalls(read, ['gpt2-lora-conv1d', 'llama-lora-ranks', 'llama-lora-same-rank'], (set) =>
  readdirSync(fixturePath('generated', 'combine', set, 'results')).sort(),
);

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return isKernelError(e) ? e.code : e;
  }
  return undefined;
}

const lora = (
  r: number,
  target: LoraConfigForCombination['target_modules'],
  extra = {},
): LoraConfigForCombination => ({
  r,
  target_modules: target,
  ...extra,
});

describe('combinedLoraConfigChanges against the configs PEFT saved', () => {
  for (const call of calls) {
    it(`${call.label}: the new config is the first adapter's with PEFT's changes`, () => {
      const { changes } = combinedLoraConfigChanges(
        call.sourceConfigs,
        call.params.combination_type,
        call.params.svd_rank,
      );
      const ours: Record<string, unknown> = { ...call.sourceConfigs[0], ...changes };
      const theirs: Record<string, unknown> = { ...call.resultConfig };
      // PEFT holds target_modules as a Python set: compare as sets.
      expect(new Set(ours.target_modules as string[])).toEqual(new Set(theirs.target_modules as string[]));
      delete ours.target_modules;
      delete theirs.target_modules;
      expect(ours).toEqual(theirs);
    });
  }
});

describe('combinedLoraConfigChanges rules', () => {
  it('computes the new rank per type: equal r, Σ r for cat, svd_rank or max for svd types', () => {
    const a = lora(4, ['q']);
    const b = lora(8, ['v'], { rank_pattern: { 'layers.0.v': 16 } });
    expect(combinedLoraConfigChanges([a, a], 'ties').changes.r).toBe(4);
    expect(combinedLoraConfigChanges([a, b], 'cat').changes.r).toBe(20);
    expect(combinedLoraConfigChanges([a, b], 'svd').changes.r).toBe(16);
    expect(combinedLoraConfigChanges([a, b], 'ties_svd', 3).changes).toMatchObject({ r: 3, lora_alpha: 3 });
    // svd_rank=0 is falsy in Python's `svd_rank or max(...)`.
    expect(combinedLoraConfigChanges([a, b], 'svd', 0).changes.r).toBe(16);
  });

  it('forces linear for a single adapter, even with a type that needs equal ranks elsewhere', () => {
    expect(combinedLoraConfigChanges([lora(4, ['q'])], 'svd').combinationType).toBe('linear');
    expect(combinedLoraConfigChanges([lora(4, ['q']), lora(4, ['k'])], 'svd').combinationType).toBe('svd');
  });

  it('joins regex target_modules as (a)|(b) and empties the patterns', () => {
    const { changes } = combinedLoraConfigChanges(
      [lora(4, '.*q_proj', { rank_pattern: { x: 2 } }), lora(4, '.*v_proj')],
      'linear',
    );
    expect(changes).toEqual({
      r: 4,
      lora_alpha: 4,
      target_modules: '(.*q_proj)|(.*v_proj)',
      rank_pattern: {},
      alpha_pattern: {},
    });
  });

  it('throws PEFT’s errors', () => {
    expect(codeOf(() => combinedLoraConfigChanges([lora(4, ['q']), lora(8, ['q'])], 'linear'))).toBe(
      'RANK_MISMATCH',
    );
    expect(codeOf(() => combinedLoraConfigChanges([lora(4, ['q']), lora(4, 'q')], 'cat'))).toBe(
      'TARGET_MODULES_MISMATCH',
    );
    expect(codeOf(() => combinedLoraConfigChanges([lora(4, null), lora(4, null)], 'cat'))).toBe(
      'TARGET_MODULES_MISMATCH',
    );
    expect(
      codeOf(() =>
        combinedLoraConfigChanges([lora(4, ['q'], { target_parameters: ['w'] }), lora(4, ['q'])], 'cat'),
      ),
    ).toBe('TARGET_PARAMETERS_UNSUPPORTED');
    expect(
      codeOf(() => combinedLoraConfigChanges([lora(4, ['q']), lora(4, ['q'])], 'bogus' as CombinationType)),
    ).toBe('UNKNOWN_COMBINATION');
    expect(codeOf(() => combinedLoraConfigChanges([], 'cat'))).toBe('NO_ADAPTERS');
  });
});

describe('IA3 config changes', () => {
  it('unions lists and joins regexes per field', () => {
    expect(
      combinedIa3ConfigChanges([
        { target_modules: ['k', 'v', 'down'], feedforward_modules: ['down'] },
        { target_modules: ['v', 'up', 'down'], feedforward_modules: ['up', 'down'] },
      ]),
    ).toEqual({ target_modules: ['k', 'v', 'down', 'up'], feedforward_modules: ['down', 'up'] });
    expect(joinModuleSelectors(['a', 'b'], 'feedforward_modules')).toBe('(a)|(b)');
  });

  it('matches the IA3 config PEFT saved for llama-ia3', () => {
    const dir = ['generated', 'combine', 'llama-ia3'];
    const json = (...p: string[]) => JSON.parse(new TextDecoder().decode(read(...dir, ...p)));
    const a = json('adapters', 'a', 'adapter_config.json');
    const b = json('adapters', 'b', 'adapter_config.json');
    const result = json('results', 'ia3', 'adapter_config.json');
    const ours = combinedIa3ConfigChanges([a, b]);
    expect(new Set(ours.target_modules)).toEqual(new Set(result.target_modules));
    expect(new Set(ours.feedforward_modules)).toEqual(new Set(result.feedforward_modules));
    expect({ ...a, target_modules: null, feedforward_modules: null }).toEqual({
      ...result,
      target_modules: null,
      feedforward_modules: null,
    });
  });
});
