/**
 * The rules of PEFT 0.21's module selection that module-selection.json does not isolate, each checked against
 * PEFT's code (tuners_utils.check_target_module_exists, utils/other.get_pattern_key, ia3/model.py,
 * _maybe_include_all_linear_layers, adalora/model.resize_modules_by_rank_pattern, peft_model task classes).
 */
import { describe, expect, it } from 'vitest';
import { createAdaLoraConfig, createIA3Config, createLoraConfig } from './create-config.js';
import {
  defaultFeedforwardModules,
  defaultTargetModules,
  withDefaultTargetModules,
} from './default-target-modules.js';
import { expandAllLinear, isFeedforwardModule, isTargetModule } from './module-selection.js';
import { alphaOf, getPatternKey, rankOf, scalingOf } from './pattern-key.js';
import { withTaskModulesToSave } from './task-modules.js';

const Q = 'model.layers.1.self_attn.q_proj';

describe('isTargetModule', () => {
  it('applies exclude_modules first: exact name or .name suffix, a regex as full match', () => {
    const list = createLoraConfig({
      target_modules: ['q_proj'],
      exclude_modules: ['layers.1.self_attn.q_proj'],
    });
    expect(isTargetModule(list, Q)).toBe(false);
    expect(isTargetModule(list, 'model.layers.0.self_attn.q_proj')).toBe(true);
    const suffixNeedsDot = createLoraConfig({ target_modules: ['q_proj'], exclude_modules: ['proj'] });
    expect(isTargetModule(suffixNeedsDot, Q)).toBe(true);
    const regex = createLoraConfig({ target_modules: ['q_proj'], exclude_modules: '.*layers\\.1\\..*' });
    expect(isTargetModule(regex, Q)).toBe(false);
    expect(isTargetModule(regex, 'model.layers.10.self_attn.q_proj')).toBe(true);
  });

  it('never targets a module in modules_to_save or inside one (names are regexes)', () => {
    const config = createLoraConfig({
      target_modules: ['classifier', 'my_classifier', 'dense'],
      modules_to_save: ['classifier'],
    });
    expect(isTargetModule(config, 'classifier')).toBe(false);
    expect(isTargetModule(config, 'classifier.dense')).toBe(false);
    expect(isTargetModule(config, 'head.my_classifier')).toBe(true);
    expect(isTargetModule(config, 'bert.pooler.dense')).toBe(true);
  });

  it('matches a regex target in full and skips the layer filter for exact names', () => {
    expect(isTargetModule(createLoraConfig({ target_modules: '.*q_proj' }), Q)).toBe(true);
    expect(isTargetModule(createLoraConfig({ target_modules: 'q_proj' }), Q)).toBe(false);
    const exact = createLoraConfig({ target_modules: [Q, 'k_proj'], layers_to_transform: [0] });
    expect(isTargetModule(exact, Q)).toBe(true);
    expect(isTargetModule(exact, 'model.layers.1.self_attn.k_proj')).toBe(false);
  });

  it('filters layers by index: int, list, empty list = all, first numbered segment, listed patterns', () => {
    const base = { target_modules: ['q_proj'] };
    expect(isTargetModule(createLoraConfig({ ...base, layers_to_transform: 1 }), Q)).toBe(true);
    expect(isTargetModule(createLoraConfig({ ...base, layers_to_transform: [2] }), Q)).toBe(false);
    expect(isTargetModule(createLoraConfig({ ...base, layers_to_transform: [] }), Q)).toBe(true);
    const moe = 'model.layers.2.experts.1.q_proj';
    expect(isTargetModule(createLoraConfig({ ...base, layers_to_transform: [2] }), moe)).toBe(true);
    expect(isTargetModule(createLoraConfig({ ...base, layers_to_transform: [1] }), moe)).toBe(false);
    const patterns = createLoraConfig({
      ...base,
      layers_to_transform: [1],
      layers_pattern: ['h', 'experts'],
    });
    expect(isTargetModule(patterns, moe)).toBe(true);
    expect(isTargetModule(createLoraConfig({ ...base, layers_to_transform: [3] }), 'layers.3.q_proj')).toBe(
      false,
    );
    // Python's \d matches any Unicode digit and int('١') == 1.
    expect(
      isTargetModule(createLoraConfig({ ...base, layers_to_transform: [1] }), 'model.layers.١.q_proj'),
    ).toBe(true);
  });

  it('needs resolved targets', () => {
    expect(() => isTargetModule(createLoraConfig(), Q)).toThrow(
      expect.objectContaining({ code: 'UNRESOLVED_TARGET_MODULES' }),
    );
    expect(() => isTargetModule(createLoraConfig({ target_modules: 'All-Linear' }), Q)).toThrow(
      /expandAllLinear/,
    );
    expect(isTargetModule(createLoraConfig({ target_parameters: ['experts.w1'] }), Q)).toBe(false);
  });
});

describe('isFeedforwardModule', () => {
  it('matches list entries as plain suffixes (no dot) and a regex in full', () => {
    const list = createIA3Config({ target_modules: ['c_proj', 'c_attn'], feedforward_modules: ['c_proj'] });
    expect(isFeedforwardModule(list, 'transformer.h.0.mlp.c_proj')).toBe(true);
    expect(isFeedforwardModule(list, 'transformer.h.0.attn.xc_proj')).toBe(true);
    const regex = createIA3Config({ target_modules: '.*proj', feedforward_modules: '.*mlp\\..*' });
    expect(isFeedforwardModule(regex, 'transformer.h.0.mlp.c_proj')).toBe(true);
    expect(isFeedforwardModule(regex, 'transformer.h.0.attn.c_proj')).toBe(false);
  });
});

describe('expandAllLinear', () => {
  const linear = ['bert.layer.0.query', 'bert.pooler.dense', 'classifier', 'score'];
  it('drops the output embedding, else the first of score / classifier for SEQ_CLS', () => {
    const causal = createLoraConfig({ target_modules: 'all-linear', task_type: 'CAUSAL_LM' });
    expect(
      expandAllLinear(causal, { linearModules: [...linear, 'lm_head'], outputEmbedding: 'lm_head' })
        .target_modules,
    ).toEqual(linear);
    const seqCls = createLoraConfig({ target_modules: 'ALL-LINEAR', task_type: 'SEQ_CLS' });
    expect(expandAllLinear(seqCls, { linearModules: linear }).target_modules).toEqual([
      'bert.layer.0.query',
      'bert.pooler.dense',
      'classifier',
    ]);
    const plain = createLoraConfig({ target_modules: ['q'] });
    expect(expandAllLinear(plain, { linearModules: linear })).toBe(plain);
  });
});

describe('rank, alpha and scaling', () => {
  it('takes the first matching pattern key in order; ^ anchors a key to the full name', () => {
    expect(getPatternKey(['self_attn.q_proj', 'q_proj'], Q)).toBe('self_attn.q_proj');
    expect(getPatternKey(['^layers.1.self_attn.q_proj'], Q)).toBe(Q);
    expect(getPatternKey(['^model.layers.1.self_attn.q_proj'], Q)).toBe('^model.layers.1.self_attn.q_proj');
    expect(getPatternKey(['_proj'], Q)).toBe(Q); // a key must follow a dot or start the name
  });

  it('computes LoRA scaling as alpha / r, or alpha / sqrt(r) with rsLoRA', () => {
    const config = createLoraConfig({
      r: 16,
      lora_alpha: 32,
      rank_pattern: { q_proj: 4 },
      alpha_pattern: { 'layers\\.1\\..*': 2 },
    });
    expect([rankOf(config, Q), alphaOf(config, Q), scalingOf(config, Q)]).toEqual([4, 2, 0.5]);
    const rs = createLoraConfig({ r: 16, lora_alpha: 8, use_rslora: true });
    expect(scalingOf(rs, Q)).toBe(2);
  });

  it('reads AdaLoRA ranks from init_r or the saved rank_pattern masks; scaling is alpha (or the rank if alpha <= 0)', () => {
    const config = createAdaLoraConfig({
      init_r: 6,
      lora_alpha: 0,
      total_step: 10,
      rank_pattern: { [`${Q}.lora_E`]: [true, false, true] },
    });
    expect(rankOf(config, Q)).toBe(2);
    expect(rankOf(config, 'model.layers.0.self_attn.q_proj')).toBe(6);
    expect(scalingOf(config, Q)).toBe(2);
    const named = { ...config, rank_pattern: { [`${Q}.lora_E.mine`]: [true] } };
    expect(rankOf(named, Q, { adapterName: 'mine' })).toBe(1);
    expect(scalingOf({ ...config, lora_alpha: 32 }, Q)).toBe(32);
  });
});

describe('default target modules (peft/utils/constants.py)', () => {
  it('looks up PEFT tables by model_type', () => {
    expect(defaultTargetModules('LORA', 'llama')).toEqual(['q_proj', 'v_proj']);
    expect(defaultTargetModules('LORA', 'gemma4')).toBe('.*language_model\\..*\\.(q_proj|v_proj)');
    expect(defaultTargetModules('IA3', 'opt')).toEqual(['q_proj', 'k_proj', 'fc2']);
    expect(defaultFeedforwardModules('t5')).toEqual(['wo']);
    expect(defaultTargetModules('ADALORA', 'opt')).toEqual([
      'q_proj',
      'k_proj',
      'v_proj',
      'out_proj',
      'fc1',
      'fc2',
    ]);
    expect(() => defaultTargetModules('LORA', 'constructor')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_MODEL_TYPE' }),
    );
  });

  it('fills only what is missing, as _prepare_adapter_config does', () => {
    const ia3 = withDefaultTargetModules(createIA3Config({ target_modules: ['q_proj', 'fc2'] }), 'opt');
    expect([ia3.target_modules, ia3.feedforward_modules]).toEqual([['q_proj', 'fc2'], ['fc2']]);
    expect(
      withDefaultTargetModules(createLoraConfig({ target_parameters: ['w'] }), 'unknown').target_modules,
    ).toBeNull();
    expect(() => withDefaultTargetModules(createLoraConfig(), 'unknown')).toThrow(
      /please specify `target_modules`/,
    );
  });
});

describe('withTaskModulesToSave', () => {
  it('appends the head modules of the task class (duplicates kept, as PEFT appends)', () => {
    expect(withTaskModulesToSave(createLoraConfig({ task_type: 'QUESTION_ANS' })).modules_to_save).toEqual([
      'qa_outputs',
    ]);
    expect(
      withTaskModulesToSave(createLoraConfig({ task_type: 'TOKEN_CLS', modules_to_save: ['score'] }))
        .modules_to_save,
    ).toEqual(['score', 'classifier', 'score']);
    const causal = createLoraConfig({ task_type: 'CAUSAL_LM' });
    expect(withTaskModulesToSave(causal)).toBe(causal);
  });
});
