import { readdirSync, readFileSync } from 'node:fs';
import { adaloraDelta, loraDelta } from '@peftjs/kernels';
import { fixturePath, maxAbsDiff } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { fixtureFolder } from './fixture-folder.test.helper.js';
import {
  type AdapterLayer,
  inspectAdapter,
  type LoraLayer,
  memoryFiles,
  openAdapter,
  parseAdapterKey,
} from './index.js';

const open = (...parts: string[]) => openAdapter(fixtureFolder(...parts));

function lora(layer: AdapterLayer | undefined): LoraLayer {
  if (layer === undefined || layer.kind === 'ia3') throw new Error('not a LoRA layer');
  return layer;
}

describe('openAdapter reads every saved key form', () => {
  it('LoRA on OPT: one layer per targeted module, PEFT scaling', async () => {
    const adapter = await open('golden', 'cases', 'opt-lora-basic', 'adapter');
    expect(adapter.format).toBe('safetensors');
    expect(adapter.layers.map((l) => l.module)).toEqual([
      'model.decoder.layers.0.self_attn.q_proj',
      'model.decoder.layers.0.self_attn.v_proj',
      'model.decoder.layers.1.self_attn.q_proj',
      'model.decoder.layers.1.self_attn.v_proj',
    ]);
    const q = lora(adapter.layer('model.decoder.layers.0.self_attn.q_proj'));
    expect(q).toMatchObject({ kind: 'lora', rank: 4, alpha: 8, scaling: 2, inFeatures: 32, outFeatures: 32 });
    expect(q.fanInFanOut).toBe(false);
    expect(adapter.replacements).toEqual([]);
  });

  it('rank and alpha patterns with rsLoRA', async () => {
    const adapter = await open('generated', 'merge', 'llama-lora-patterns-rslora', 'adapter');
    // rank_pattern {"model.layers.1.self_attn.k_proj": 2, "q_proj": 4}, alpha_pattern {"^model.layers.0.self_attn.o_proj": 3, "v_proj": 32.0}
    expect(lora(adapter.layer('model.layers.1.self_attn.k_proj'))).toMatchObject({
      rank: 2,
      alpha: 16,
      scaling: 16 / Math.sqrt(2),
    });
    expect(lora(adapter.layer('model.layers.0.self_attn.q_proj'))).toMatchObject({
      rank: 4,
      scaling: 16 / 2,
    });
    expect(lora(adapter.layer('model.layers.0.self_attn.o_proj'))).toMatchObject({ rank: 8, alpha: 3 });
    expect(lora(adapter.layer('model.layers.1.self_attn.v_proj'))).toMatchObject({ rank: 8, alpha: 32 });
  });

  it('embeddings (lora_embedding_A/B) and the saved base_layer weights', async () => {
    const adapter = await open('generated', 'merge', 'llama-lora-embeddings', 'adapter');
    expect(lora(adapter.layer('model.embed_tokens'))).toMatchObject({
      kind: 'lora-embedding',
      inFeatures: 64,
      outFeatures: 16,
    });
    expect(lora(adapter.layer('lm_head'))).toMatchObject({ kind: 'lora', inFeatures: 16, outFeatures: 64 });
    expect(adapter.replacements.map((r) => [r.name, r.reason])).toEqual([
      ['lm_head.weight', 'base_layer'],
      ['model.embed_tokens.weight', 'base_layer'],
    ]);
  });

  it('DoRA, lora_bias, Conv1D fan_in_fan_out', async () => {
    const dora = await open('generated', 'merge', 'gpt2-dora-conv1d', 'adapter');
    const c = lora(dora.layer('transformer.h.0.attn.c_attn'));
    expect(c.magnitude?.shape).toEqual([48]);
    expect(c.fanInFanOut).toBe(true);
    const bias = await open('generated', 'merge', 'opt-lora-lora-bias', 'adapter');
    expect(lora(bias.layer('model.decoder.layers.0.fc2')).loraBias?.shape).toEqual([16]);
  });

  it('modules_to_save copies and biases (bias="all" writes wrapper internals PEFT never loads)', async () => {
    const adapter = await open('generated', 'merge', 'bert-lora-seq-cls-bias-all', 'adapter');
    const reasons = Object.fromEntries(adapter.replacements.map((r) => [r.name, r.reason]));
    expect(reasons['classifier.weight']).toBe('modules_to_save');
    expect(reasons['classifier.bias']).toBe('modules_to_save');
    expect(reasons['bert.encoder.layer.0.attention.self.key.bias']).toBe('bias');
    expect(reasons['bert.encoder.layer.0.attention.self.query.bias']).toBe('base_layer');
    expect(
      Object.keys(reasons).some((n) => n.includes('original_module') || n.includes('modules_to_save')),
    ).toBe(false);
    const only = await open('generated', 'merge', 'opt-lora-bias-lora-only', 'adapter');
    expect(only.replacements.map((r) => r.reason)).toEqual(only.replacements.map(() => 'base_layer'));
    expect(only.replacements.map((r) => r.name)).toContain('model.decoder.layers.0.fc1.bias');
  });

  it('IA3: feed-forward vectors scale inputs', async () => {
    const adapter = await open('generated', 'merge', 'gpt2-ia3', 'adapter');
    expect(adapter.layer('transformer.h.0.attn.c_attn')).toMatchObject({
      kind: 'ia3',
      isFeedforward: false,
      size: 48,
    });
    expect(adapter.layer('transformer.h.0.mlp.c_proj')).toMatchObject({
      kind: 'ia3',
      isFeedforward: true,
      size: 64,
    });
  });

  it('AdaLoRA becomes LoRA form: A ⊙ E, scaling lora_alpha / (init_r + 1e-5), ranks cut by rank_pattern', async () => {
    const adapter = await open('generated', 'merge', 't5-adalora-rank-pattern', 'adapter');
    const q = lora(adapter.layer('decoder.block.0.layer.0.SelfAttention.q'));
    expect(q.rank).toBe(3);
    expect(q.adalora).toMatchObject({ ranknum: 6, scaling: 8, initR: 6 });
    expect(q.scaling).toBeCloseTo(8 / (6 + 1e-5), 12);
    expect(lora(adapter.layer('decoder.block.1.layer.1.EncDecAttention.q')).rank).toBe(0);
    const parts = q.adalora;
    if (parts === undefined) throw new Error('no AdaLoRA parts');
    const { inFeatures, outFeatures } = q;
    const exact = adaloraDelta({
      a: await parts.A.float32(),
      e: await parts.E.float32(),
      b: await q.B.float32(),
      rank: 3,
      inFeatures,
      outFeatures,
      scaling: parts.scaling,
      ranknum: parts.ranknum,
    });
    const asLora = loraDelta({
      a: await q.A.float32(),
      b: await q.B.float32(),
      rank: 3,
      inFeatures,
      outFeatures,
      scaling: q.scaling,
    });
    expect(maxAbsDiff(asLora, exact)).toBeLessThan(1e-6);
  });

  it('finds the generated .bin twins (LoRA, IA3, Conv1D, DoRA, f16)', () => {
    const names = readdirSync(fixturePath('generated', 'bin'));
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const name of [
      'opt-lora-f32',
      'opt-ia3',
      'gpt2-lora-conv1d',
      'llama-lora-bf16-dora',
      'llama-lora-f16',
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each(readdirSync(fixturePath('generated', 'bin')).sort())(
    '%s: adapter_model.bin reads like its .safetensors twin',
    async (name) => {
      const dir = fixturePath('generated', 'bin', name);
      const read = (file: string) => new Uint8Array(readFileSync(`${dir}/${file}`));
      const config = read('adapter_config.json');
      const fromBin = await openAdapter(
        memoryFiles({ 'adapter_config.json': config, 'adapter_model.bin': read('adapter_model.bin') }),
      );
      const fromSt = await openAdapter(
        memoryFiles({
          'adapter_config.json': config,
          'adapter_model.safetensors': read('adapter_model.safetensors'),
        }),
      );
      expect(fromBin.format).toBe('bin');
      expect([...fromBin.tensors.keys()].sort()).toEqual([...fromSt.tensors.keys()].sort());
      for (const [key, t] of fromSt.tensors) {
        const other = fromBin.tensors.get(key);
        expect(other?.dtype).toBe(t.dtype);
        expect(await other?.float32()).toEqual(await t.float32());
      }
      expect(fromBin.layers.map((l) => l.module).sort()).toEqual(fromSt.layers.map((l) => l.module).sort());
    },
  );
});

describe('parseAdapterKey', () => {
  it('classifies keys as PEFT maps them back', () => {
    expect(parseAdapterKey('a.lora_A.weight')).toEqual({
      kind: 'adapter',
      module: 'a',
      param: 'lora_A',
      weightSuffix: true,
    });
    expect(parseAdapterKey('a.lora_E')).toEqual({
      kind: 'adapter',
      module: 'a',
      param: 'lora_E',
      weightSuffix: false,
    });
    expect(parseAdapterKey('a.b.lora_B.bias')).toMatchObject({ module: 'a.b', param: 'lora_B.bias' });
    expect(parseAdapterKey('x.base_layer.weight')).toEqual({
      kind: 'base-layer',
      module: 'x',
      baseName: 'x.weight',
    });
    expect(parseAdapterKey('c.modules_to_save.bias')).toEqual({ kind: 'wrapper-internal' });
    expect(parseAdapterKey('classifier.bias')).toEqual({ kind: 'base', baseName: 'classifier.bias' });
    expect(() => parseAdapterKey('e.token_adapter.trainable_tokens_delta')).toThrow(/trainable tokens/);
  });
});

describe('inspectAdapter', () => {
  it('summarises type, targets, ranks, parameters and size', async () => {
    const s = inspectAdapter(await open('golden', 'cases', 'bert-lora-seq-cls', 'adapter'));
    expect(s).toMatchObject({
      peftType: 'LORA',
      taskType: 'SEQ_CLS',
      baseModel: null,
      peftVersion: '0.21.0',
    });
    expect(s.modules[0]).toMatchObject({ kind: 'lora', rank: 4, alpha: 8, scaling: 2, dora: false });
    expect(s.replacements.map((r) => r.reason)).toEqual(['modules_to_save', 'modules_to_save']);
    // case.json: trainable params 1,123 (LoRA on query/value plus the classifier copy).
    expect(s.trainableParameters).toBe(1123);
    expect(s.bytes).toBe(s.storedValues * 4);
    expect(s.dtypes).toEqual({ F32: s.modules.length * 2 + 2 });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
