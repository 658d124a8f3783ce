import { readFileSync } from 'node:fs';
import { serializeSafetensors, type Tensor, toFloat32 } from '@peftjs/safetensors';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { fixtureFolder, readFixtureTensors } from './fixture-folder.test.helper.js';
import {
  Adapter,
  type AdapterError,
  BaseCheckpoint,
  type CheckpointWriter,
  createMemoryWriter,
  isAdapterError,
  memoryFiles,
  mergeAdapter,
  openAdapter,
} from './index.js';

const open = (...parts: string[]) => openAdapter(fixtureFolder(...parts));
const base = (...parts: string[]) => BaseCheckpoint.open(fixtureFolder(...parts));

async function failure(promise: Promise<unknown>): Promise<AdapterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAdapterError(error)) throw new Error(`expected an AdapterError, got ${String(error)}`);
  return error;
}

describe('merge refuses a base the adapter does not fit, before writing anything', () => {
  it('adapter for another base of the same family: names the module and both shapes', async () => {
    const adapter = await open('golden', 'cases', 'opt-lora-basic', 'adapter'); // hidden 32
    const writer = createMemoryWriter();
    const error = await failure(
      mergeAdapter({ base: await base('generated', 'merge', 'opt-lora-bin', 'base'), adapter, writer }), // hidden 16
    );
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.module).toBe('model.decoder.layers.0.self_attn.q_proj');
    expect(error.message).toContain('model.decoder.layers.0.self_attn.q_proj');
    expect(error.message).toContain('A [4, 32] / B [32, 4]');
    expect(error.message).toContain('[16, 16]');
    expect(writer.files.size).toBe(0);
  });

  it('targets the base does not have', async () => {
    const adapter = await open('generated', 'merge', 'llama-lora-regex', 'adapter');
    const error = await failure(
      mergeAdapter({ base: await base('golden', 'bases', 'opt'), adapter, writer: createMemoryWriter() }),
    );
    expect(error.code).toBe('TARGET_NOT_FOUND');
    expect(error.message).toContain('model.layers.0.self_attn.q_proj.weight');
    expect(error.message).toContain('peftjs/tiny-llama');
  });

  it('a non-float target weight', async () => {
    const tensors = await readFixtureTensors('golden', 'bases', 'opt', 'model.safetensors');
    const name = 'model.decoder.layers.0.self_attn.q_proj.weight';
    const q = tensors.get(name) as Tensor;
    const edited = new Map(
      [...tensors].map(([k, t]) => [k, k === name ? { ...t, dtype: 'I32' as const } : t]),
    );
    const files = memoryFiles({ 'model.safetensors': serializeSafetensors(edited, { format: 'pt' }) });
    const adapter = await open('golden', 'cases', 'opt-lora-basic', 'adapter');
    const error = await failure(
      mergeAdapter({ base: await BaseCheckpoint.open(files), adapter, writer: createMemoryWriter() }),
    );
    expect(q.dtype).toBe('F32');
    expect(error.code).toBe('UNSUPPORTED_FEATURE');
    expect(error.message).toContain(`${name} is I32`);
  });
});

describe('a failure while writing leaves nothing behind', () => {
  it('aborts the writer when a write fails mid-way', async () => {
    const adapter = await open('generated', 'merge', 'llama-lora-sharded', 'adapter');
    const checkpoint = await base('generated', 'merge', 'llama-lora-sharded', 'base');
    const inner = createMemoryWriter();
    let aborted = false;
    let writes = 0;
    const writer: CheckpointWriter = {
      async writeFile(name, chunks) {
        if (++writes === 3) throw new Error('disk full');
        await inner.writeFile(name, chunks);
      },
      commit: () => inner.commit(),
      async abort() {
        aborted = true;
        await inner.abort();
      },
    };
    const error = await failure(mergeAdapter({ base: checkpoint, adapter, writer }));
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toContain('disk full');
    expect(aborted).toBe(true);
    expect(inner.files.size).toBe(0);
  });

  it('stops on an aborted signal', async () => {
    const adapter = await open('golden', 'cases', 'opt-lora-basic', 'adapter');
    const controller = new AbortController();
    controller.abort();
    const writer = createMemoryWriter();
    const error = await failure(
      mergeAdapter({
        base: await base('golden', 'bases', 'opt'),
        adapter,
        writer,
        signal: controller.signal,
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(writer.files.size).toBe(0);
  });
});

describe('checkpoints saved without (or with) the task model prefix', () => {
  it('merges a GPT-2 LoRA into a base stored as GPT2Model (no "transformer.")', async () => {
    const tensors = await readFixtureTensors('golden', 'bases', 'gpt2', 'model.safetensors');
    const stripped = new Map([...tensors].map(([k, t]) => [k.replace(/^transformer\./, ''), t]));
    const files = memoryFiles({ 'model.safetensors': serializeSafetensors(stripped, { format: 'pt' }) });
    const adapter = await open('golden', 'cases', 'gpt2-lora-conv1d', 'adapter');
    const writer = createMemoryWriter();
    await mergeAdapter({ base: await BaseCheckpoint.open(files), adapter, writer });
    const merged = await readFixtureTensors('golden', 'cases', 'gpt2-lora-conv1d', 'merged.safetensors');
    const { readSafetensors } = await import('@peftjs/safetensors');
    const out = await readSafetensors(writer.files.get('model.safetensors') as Uint8Array);
    expect([...out.tensors.keys()]).toEqual([...stripped.keys()].sort());
    const name = 'h.0.attn.c_attn.weight';
    expect(toFloat32(out.tensors.get(name) as Tensor)).toEqual(
      toFloat32(merged.get(`transformer.${name}`) as Tensor),
    );
  });
});

describe('adapters PEFT could not load are refused', () => {
  const configText = (...p: string[]) => readFileSync(fixturePath(...p, 'adapter_config.json'), 'utf8');
  const dir = ['golden', 'cases', 'opt-lora-basic', 'adapter'];
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      return isAdapterError(e) ? `${e.code}: ${e.message}` : String(e);
    }
  };

  it('missing lora_B, mismatched ranks, keys PEFT never writes, non-float tensors, foreign tensor types', async () => {
    const tensors = await readFixtureTensors(...dir, 'adapter_model.safetensors');
    const config = configText(...dir);
    const make = (edit: (m: Map<string, Tensor>) => void) => {
      const m = new Map(tensors);
      edit(m);
      return () => Adapter.create({ config, tensors: m });
    };
    const key = 'base_model.model.model.decoder.layers.0.self_attn.q_proj';
    const a = tensors.get(`${key}.lora_A.weight`) as Tensor;
    expect(codeOf(make(() => undefined))).toBe('ok');
    expect(codeOf(make((m) => m.delete(`${key}.lora_B.weight`)))).toMatch(
      /^BAD_ADAPTER: .*q_proj: the adapter has no lora_B/,
    );
    expect(codeOf(make((m) => m.set(`${key}.lora_A.weight`, { ...a, shape: [2, 64] })))).toMatch(
      /^BAD_ADAPTER: .*different ranks/,
    );
    expect(codeOf(make((m) => m.set(`${key}.lora_A.default.weight`, a)))).toMatch(
      /^BAD_ADAPTER: .*not a key PEFT writes/,
    );
    expect(codeOf(make((m) => m.set(`${key}.lora_A.weight`, { ...a, dtype: 'I32' })))).toMatch(
      /^BAD_ADAPTER: .*dtype I32/,
    );
    expect(codeOf(make((m) => m.set(`${key}.ia3_l`, a)))).toMatch(
      /^BAD_ADAPTER: .*unexpected adapter tensor/,
    );
    expect(
      codeOf(make((m) => m.set('base_model.model.model.decoder.layers.0.fc2.lora_A.weight', a))),
    ).toMatch(/^BAD_ADAPTER: .*does not target that module/);
  });

  it('config problems and unsupported LoRA variants', async () => {
    const tensors = await readFixtureTensors(...dir, 'adapter_model.safetensors');
    const config = JSON.parse(configText(...dir));
    const make = (patch: object) => () => Adapter.create({ config: { ...config, ...patch }, tensors });
    expect(codeOf(make({ r: 8 }))).toMatch(/^BAD_ADAPTER: .*rank 4, but the config gives this module r=8/);
    expect(codeOf(make({ r: 0 }))).toMatch(/^INVALID_CONFIG/);
    expect(codeOf(make({ layer_replication: [[0, 2]] }))).toMatch(
      /^UNSUPPORTED_FEATURE: .*layer replication/,
    );
    expect(codeOf(make({ use_dora: true }))).toMatch(/^BAD_ADAPTER: .*no lora_magnitude_vector/);
  });

  it('folders without a config or without weights', async () => {
    const config = readFileSync(fixturePath(...dir, 'adapter_config.json'));
    const noWeights = await failure(openAdapter(memoryFiles({ 'adapter_config.json': config })));
    expect(noWeights.code).toBe('MISSING_FILE');
    const noConfig = await failure(openAdapter(memoryFiles({})));
    expect(noConfig.code).toBe('MISSING_FILE');
    const broken = await failure(
      openAdapter(
        memoryFiles({ 'adapter_config.json': config, 'adapter_model.safetensors': new Uint8Array(4) }),
      ),
    );
    expect(broken.code).toBe('INVALID_FILE');
  });
});
