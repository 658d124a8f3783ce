/**
 * Validation and warnings of parseAdapterConfig, following PEFT 0.21's loader and `__post_init__` checks
 * (config.py, tuners/{lora,ia3,adalora}/config.py) and the failures PEFT hits later (layer creation).
 */
import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { getUnknownFields, parseAdapterConfig } from './parse-adapter-config.js';
import { KNOWN_PEFT_TYPES, SUPPORTED_PEFT_TYPES } from './peft-types.js';
import { serializeAdapterConfig, toPeftDict } from './serialize-adapter-config.js';

const lora = (fields: Record<string, unknown>) => ({ peft_type: 'LORA', ...fields });
const adalora = (fields: Record<string, unknown>) => ({ peft_type: 'ADALORA', total_step: 100, ...fields });
const ia3 = (fields: Record<string, unknown>) => ({ peft_type: 'IA3', ...fields });

describe('parseAdapterConfig errors', () => {
  const cases: [string, unknown, string, string | undefined][] = [
    ['not JSON', '{"r": 8,}', 'INVALID_JSON', undefined],
    ['a JSON array', '[1]', 'NOT_AN_OBJECT', undefined],
    ['no peft_type', { r: 8 }, 'MISSING_PEFT_TYPE', 'peft_type'],
    ['an unknown peft_type', { peft_type: 'FOO' }, 'UNKNOWN_PEFT_TYPE', 'peft_type'],
    ['a lowercase peft_type', { peft_type: 'lora' }, 'UNKNOWN_PEFT_TYPE', 'peft_type'],
    ['an unknown task_type', lora({ task_type: 'CAUSAL' }), 'INVALID_TASK_TYPE', 'task_type'],
    ['a negative r', lora({ r: -1 }), 'INVALID_VALUE', 'r'],
    ['r = 0 (LoRA layers refuse it)', lora({ r: 0 }), 'INVALID_VALUE', 'r'],
    ['a non-integer r', lora({ r: 2.5 }), 'INVALID_TYPE', 'r'],
    ['r written as a float', '{"peft_type": "LORA", "r": 8.0}', 'INVALID_TYPE', 'r'],
    ['a string r', lora({ r: '8' }), 'INVALID_TYPE', 'r'],
    ['a boolean lora_alpha', lora({ lora_alpha: true }), 'INVALID_TYPE', 'lora_alpha'],
    ['dropout above 1', lora({ lora_dropout: 1.5 }), 'INVALID_VALUE', 'lora_dropout'],
    ['an unknown bias', lora({ bias: 'some' }), 'INVALID_BIAS', 'bias'],
    [
      'an unknown init_lora_weights',
      lora({ init_lora_weights: 'kaiming' }),
      'INVALID_INIT_LORA_WEIGHTS',
      'init_lora_weights',
    ],
    [
      'pissa_niter without a count',
      lora({ init_lora_weights: 'pissa_niter_' }),
      'INVALID_INIT_LORA_WEIGHTS',
      'init_lora_weights',
    ],
    ['a number as target_modules', lora({ target_modules: 3 }), 'INVALID_TYPE', 'target_modules'],
    ['a non-string target name', lora({ target_modules: ['q', 1] }), 'INVALID_TYPE', 'target_modules.1'],
    [
      'layers_pattern without layers_to_transform',
      lora({ target_modules: ['q'], layers_pattern: 'layers' }),
      'LAYERS_PATTERN_WITHOUT_LAYERS',
      'layers_pattern',
    ],
    [
      'layers_to_transform with a regex target',
      lora({ target_modules: '.*q', layers_to_transform: [0] }),
      'LAYERS_WITH_REGEX_TARGET',
      'layers_to_transform',
    ],
    [
      'layers_pattern with a regex target',
      lora({ target_modules: '.*q', layers_pattern: 'h', layers_to_transform: null }),
      'LAYERS_WITH_REGEX_TARGET',
      'layers_pattern',
    ],
    ['target_parameters as a string', lora({ target_parameters: 'w' }), 'INVALID_TYPE', 'target_parameters'],
    [
      'DoRA with megatron',
      lora({ use_dora: true, megatron_config: { a: 1 } }),
      'INCOMPATIBLE_OPTIONS',
      'use_dora',
    ],
    [
      'lora_bias with pissa',
      lora({ lora_bias: true, init_lora_weights: 'pissa' }),
      'INCOMPATIBLE_OPTIONS',
      'lora_bias',
    ],
    ['lora_bias with DoRA', lora({ lora_bias: true, use_dora: true }), 'INCOMPATIBLE_OPTIONS', 'lora_bias'],
    [
      'loftq without loftq_config',
      lora({ init_lora_weights: 'loftq' }),
      'MISSING_LOFTQ_CONFIG',
      'loftq_config',
    ],
    ['a bad rank_pattern value', lora({ rank_pattern: { q: 0 } }), 'INVALID_VALUE', 'rank_pattern.q'],
    [
      'a bad velora init_type',
      lora({ velora_config: { init_type: 'zeros' } }),
      'INVALID_VALUE',
      'velora_config.init_type',
    ],
    ['a negative kasa beta', lora({ kasa_config: { beta: -1 } }), 'INVALID_VALUE', 'kasa_config.beta'],
    [
      'layer_replication of triples',
      lora({ layer_replication: [[0, 1, 2]] }),
      'INVALID_VALUE',
      'layer_replication.0',
    ],
    ['AdaLoRA with DoRA', adalora({ use_dora: true }), 'INCOMPATIBLE_OPTIONS', 'use_dora'],
    [
      'AdaLoRA with LoftQ',
      adalora({ init_lora_weights: 'loftq', loftq_config: { loftq_bits: 4 } }),
      'INCOMPATIBLE_OPTIONS',
      'loftq_config',
    ],
    ['AdaLoRA total_step = 0', adalora({ total_step: 0 }), 'INVALID_SCHEDULE', 'total_step'],
    [
      'AdaLoRA without budgeting phase',
      adalora({ total_step: 10, tinit: 5, tfinal: 5 }),
      'INVALID_SCHEDULE',
      'tinit',
    ],
    [
      'AdaLoRA negative orth_reg_weight',
      adalora({ orth_reg_weight: -0.1 }),
      'INVALID_VALUE',
      'orth_reg_weight',
    ],
    [
      'AdaLoRA rank_pattern of numbers',
      adalora({ rank_pattern: { 'a.lora_E': [1, 0] } }),
      'INVALID_TYPE',
      'rank_pattern.a.lora_E.0',
    ],
    [
      'IA3 feedforward outside targets',
      ia3({ target_modules: ['k'], feedforward_modules: ['fc2'] }),
      'FEEDFORWARD_NOT_SUBSET',
      'feedforward_modules',
    ],
    ['IA3 init_ia3_weights not boolean', ia3({ init_ia3_weights: 1 }), 'INVALID_TYPE', 'init_ia3_weights'],
  ];
  it.each(cases)('rejects %s', (_name, input, code, field) => {
    let caught: unknown;
    try {
      parseAdapterConfig(input as string | object);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name: 'ConfigError', code });
    if (field !== undefined) expect((caught as { field: unknown }).field).toBe(field);
    expect(String((caught as Error).message).length).toBeGreaterThan(20);
  });

  it('names the value in the message', () => {
    expect(() => parseAdapterConfig(lora({ bias: 'some' }))).toThrow(/`bias`.*"some"/);
    expect(() => parseAdapterConfig(lora({ r: -3 }))).toThrow(/`r`.*-3/);
  });

  it('recognises every other PEFT type and refuses it as unsupported, not unknown', () => {
    const others = KNOWN_PEFT_TYPES.filter((t) => !(SUPPORTED_PEFT_TYPES as readonly string[]).includes(t));
    expect(others).toEqual(
      expect.arrayContaining([
        'PROMPT_TUNING',
        'PREFIX_TUNING',
        'P_TUNING',
        'LOHA',
        'LOKR',
        'OFT',
        'BOFT',
        'VERA',
      ]),
    );
    for (const t of others) {
      expect(() => parseAdapterConfig({ peft_type: t })).toThrow(
        expect.objectContaining({
          code: 'UNSUPPORTED_PEFT_TYPE',
          message: expect.stringMatching(/known PEFT type that peftjs does not support yet/),
        }),
      );
    }
  });
});

describe('parseAdapterConfig warnings and leniency', () => {
  it('drops runtime_config with a warning, as PEFT does', () => {
    const { config, warnings } = parseAdapterConfig(
      lora({ runtime_config: { ephemeral_gpu_offload: true } }),
    );
    expect(warnings.map((w) => w.code)).toEqual(['RUNTIME_CONFIG_DROPPED']);
    expect('runtime_config' in toPeftDict(config)).toBe(false);
  });

  it('keeps keys of newer PEFT versions, lists them sorted, and writes them back', () => {
    const text =
      '{"peft_type": "IA3", "zeta": {"b": 1.0, "a": [2, 3.5]}, "alpha_new": "x", "init_ia3_weights": true}';
    const { config, warnings } = parseAdapterConfig(text);
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_FIELDS', fields: ['alpha_new', 'zeta'] }),
    ]);
    expect(warnings[0]?.message).toContain("['alpha_new', 'zeta']");
    expect(getUnknownFields(config)).toEqual({ zeta: { b: 1, a: [2, 3.5] }, alpha_new: 'x' });
    const out = serializeAdapterConfig(config);
    expect(out).toContain('"zeta": {\n    "a": [\n      2,\n      3.5\n    ],\n    "b": 1.0\n  }');
    expect(out).toContain('"alpha_new": "x"');
  });

  it('keeps unknown keys of the nested configs PEFT rebuilds (velora, kasa, monteclora), filling defaults', () => {
    const { config, warnings } = parseAdapterConfig(
      '{"peft_type": "LORA", "velora_config": {"future": 1.0, "scale": 2}}',
    );
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_NESTED_FIELDS', fields: ['velora_config.future'] }),
    ]);
    expect(serializeAdapterConfig(config)).toContain(
      '"velora_config": {\n    "future": 1.0,\n    "init_type": "batch_average",\n    "num_groups": 64,\n    "scale": 2\n  }',
    );
  });

  it('loads AdaLoRA with total_step null (PEFT < 0.15 files) with a warning and writes null back', () => {
    const { config, warnings } = parseAdapterConfig({ peft_type: 'ADALORA', total_step: null });
    expect(warnings.map((w) => w.code)).toEqual(['TOTAL_STEP_NULL']);
    expect(toPeftDict(config).total_step).toBeNull();
  });

  it('reproduces the rewrites of PEFT __post_init__', () => {
    const loftq = parseAdapterConfig(lora({ loftq_config: { loftq_bits: 4 } }));
    expect(loftq.warnings.map((w) => w.code)).toEqual(['LOFTQ_CONFIG_IGNORED']);
    expect(toPeftDict(loftq.config).loftq_config).toEqual({});
    const eva = parseAdapterConfig(lora({ init_lora_weights: 'eva' }));
    expect(eva.warnings.map((w) => w.code)).toEqual(['EVA_CONFIG_DEFAULTED']);
    expect(serializeAdapterConfig(eva.config)).toContain('"rho": 2.0');
    const ada = parseAdapterConfig(adalora({ r: 4, target_modules: ['q', 'q', 'v'] }));
    expect(ada.warnings.map((w) => w.code)).toEqual(['ADALORA_R_IGNORED']);
    expect(ada.config.target_modules).toEqual(['q', 'v']); // PEFT keeps a set
  });

  it('fills peft_version with the loading version, as PEFT does for files older than 0.18', () => {
    expect(parseAdapterConfig(lora({})).config.peft_version).toBe('0.21.0');
    expect(parseAdapterConfig(lora({ peft_version: '0.18.0' })).config.peft_version).toBe('0.18.0');
  });

  it('parses its own output again (idempotent, unknown keys and spellings carried)', () => {
    const text = readFileSync(
      fixturePath('generated', 'config', 'old-versions', 'lora-future-keys', 'adapter_config.json'),
      'utf8',
    );
    const first = parseAdapterConfig(text).config;
    const again = parseAdapterConfig(first);
    expect(again.warnings).toEqual([]);
    expect(serializeAdapterConfig(again.config)).toBe(text);
  });
});
