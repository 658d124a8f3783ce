import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { createAdaLoraConfig, createIA3Config, createLoraConfig } from './create-config.js';
import { ADALORA_DEFAULTS, IA3_DEFAULTS, LORA_DEFAULTS } from './defaults.js';
import { parseAdapterConfig, withNumberKinds } from './parse-adapter-config.js';
import { serializeAdapterConfig, toPeftDict } from './serialize-adapter-config.js';
import type { ConfigWarning } from './types.js';

const roundtrip = (name: string) =>
  readFileSync(fixturePath('generated', 'config', 'roundtrip', name, 'adapter_config.json'), 'utf8');

describe('DEFAULTS objects', () => {
  // defaults.json is what PEFT 0.21 writes for LoraConfig(), IA3Config(), AdaLoraConfig(total_step=1).
  const peft = JSON.parse(
    readFileSync(fixturePath('generated', 'config', 'defaults.json'), 'utf8'),
  ) as Record<string, Record<string, unknown>>;

  it.each([
    ['LORA', LORA_DEFAULTS],
    ['IA3', IA3_DEFAULTS],
    ['ADALORA', { ...ADALORA_DEFAULTS, total_step: 1 }],
  ] as const)('%s has exactly the fields and values PEFT writes', (type, defaults) => {
    expect({ ...defaults }).toEqual(peft[type]);
  });
});

describe('create…Config', () => {
  it('builds what PEFT writes for the same arguments (cfg-* fixtures, made with PeftConfig.save_pretrained)', () => {
    expect(
      serializeAdapterConfig(
        createLoraConfig({ target_modules: ['q_proj'], trainable_token_indices: [0, 1, 2] }),
      ),
    ).toBe(roundtrip('cfg-lora-trainable-tokens'));
    expect(
      serializeAdapterConfig(
        createLoraConfig({
          target_modules: ['q_proj'],
          layer_replication: [
            [0, 2],
            [1, 2],
          ],
        }),
      ),
    ).toBe(roundtrip('cfg-lora-layer-replication'));
    expect(
      serializeAdapterConfig(
        createLoraConfig({ target_modules: ['q_proj'], lora_alpha: 1e16, lora_dropout: 0.1 }),
      ),
    ).toBe(roundtrip('cfg-lora-big-floats'));
    expect(
      serializeAdapterConfig(
        createLoraConfig({
          target_modules: ['q_proj'],
          base_model_name_or_path: 'peftjs/modèle-测试-😀',
          revision: 'main',
        }),
      ),
    ).toBe(roundtrip('cfg-lora-nonascii'));
    expect(
      serializeAdapterConfig(createLoraConfig({ init_lora_weights: 'eva', eva_config: { rho: 2.5 } })),
    ).not.toBe(
      roundtrip('cfg-lora-eva'), // EvaConfig(rho=2.5) is a full object in PEFT; a partial dict stays partial
    );
    expect(
      serializeAdapterConfig(createIA3Config({ task_type: 'SEQ_2_SEQ_LM', init_ia3_weights: false })),
    ).toBe(roundtrip('cfg-ia3-defaults-seq2seq'));
    expect(
      serializeAdapterConfig(
        createAdaLoraConfig({
          total_step: 1000,
          tinit: 10,
          tfinal: 20,
          deltaT: 5,
          beta1: 0.9,
          beta2: 0.999,
          orth_reg_weight: 0.25,
          // PEFT wrote the set {'q', 'v'} in hash order; a list keeps the order it is given.
          target_modules: JSON.parse(roundtrip('cfg-adalora-full')).target_modules,
        }),
      ),
    ).toBe(roundtrip('cfg-adalora-full'));
  });

  it('writes an integral float PEFT would spell as a float when asked (lora_alpha=16.0)', () => {
    const config = createLoraConfig({
      target_modules: ['q_proj'],
      lora_alpha: 16,
      lora_dropout: 1e-5,
      task_type: 'CAUSAL_LM',
    });
    expect(serializeAdapterConfig(config)).toContain('"lora_alpha": 16,');
    const float = withNumberKinds(config, { '/lora_alpha': 'float' });
    expect(serializeAdapterConfig(float)).toContain('"lora_alpha": 16.0,');
    expect(serializeAdapterConfig(float)).toContain('"lora_dropout": 1e-05,');
    expect(serializeAdapterConfig({ ...float, r: 4 })).toContain('"lora_alpha": 16.0,'); // survives a spread
  });

  it('refuses what PEFT constructors refuse', () => {
    expect(() => createAdaLoraConfig()).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULE', field: 'total_step' }),
    );
    expect(() => createLoraConfig({ lora_alfa: 8 } as never)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_FIELD' }),
    );
    expect(() => createLoraConfig({ r: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_VALUE', field: 'r' }),
    );
  });

  it('reports PEFT constructor warnings through onWarning', () => {
    const seen: ConfigWarning[] = [];
    createLoraConfig({ loftq_config: { loftq_bits: 4 } }, { onWarning: (w) => seen.push(w) });
    expect(seen.map((w) => w.code)).toEqual(['LOFTQ_CONFIG_IGNORED']);
  });

  it('does not share state with the DEFAULTS objects', () => {
    const a = createLoraConfig();
    (a.rank_pattern as Record<string, number>).x = 1;
    expect(LORA_DEFAULTS.rank_pattern).toEqual({});
    expect(createLoraConfig().rank_pattern).toEqual({});
  });

  it('validates a config changed by hand before writing it', () => {
    const config = createLoraConfig();
    expect(() => toPeftDict({ ...config, bias: 'everything' as 'all' })).toThrow(
      expect.objectContaining({ code: 'INVALID_BIAS' }),
    );
  });

  it('produces configs that parse back to themselves', () => {
    const config = createLoraConfig({
      r: 4,
      rank_pattern: { q_proj: 2 },
      alpha_pattern: { v_proj: 0.5 },
      use_rslora: true,
    });
    const text = serializeAdapterConfig(config);
    expect(serializeAdapterConfig(parseAdapterConfig(text).config)).toBe(text);
  });
});
