import { join } from 'node:path';
import { AdapterSession, type BackendTensor } from '@peftjs/runtime';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdapterSession, readOnnxModel } from './create-adapter-session.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { logitsOf, readFeeds, readFloat32s } from './session-cases.test.helper.js';

const backend = onnxruntimeNodeBackend({ threads: 1 });
const opt = fixturePath('golden', 'bases', 'opt');
const golden = (name: string) => fixturePath('golden', 'cases', name, 'adapter');
const generated = (name: string) => fixturePath('generated', 'merge', name, 'adapter');

const open: AdapterSession[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function optSession(): Promise<AdapterSession> {
  const session = await createAdapterSession({ model: join(opt, 'model.onnx'), base: opt, backend });
  open.push(session);
  return session;
}

const NO_ADAPTER = { code: 'NO_ADAPTER_LOADED', message: 'No adapter loaded. Please load an adapter first.' };

describe('AdapterSession errors (transformers PeftAdapterMixin / PEFT cases)', () => {
  it('every adapter call before any adapter is loaded: NO_ADAPTER_LOADED', async () => {
    const session = await optSession();
    expect(() => session.setAdapter('default')).toThrow(expect.objectContaining(NO_ADAPTER));
    expect(() => session.activeAdapters()).toThrow(expect.objectContaining(NO_ADAPTER));
    expect(() => session.enableAdapters()).toThrow(expect.objectContaining(NO_ADAPTER));
    expect(() => session.disableAdapters()).toThrow(expect.objectContaining(NO_ADAPTER));
    expect(() => session.getAdapterStateDict()).toThrow(expect.objectContaining(NO_ADAPTER));
    await expect(session.deleteAdapter('default')).rejects.toMatchObject(NO_ADAPTER);
    await expect(session.mergeAndUnload()).rejects.toMatchObject(NO_ADAPTER);
    // without adapters a run is the base model
    const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
    const base = (await readFloat32s(join(opt, 'expected.safetensors'))).logits as Float32Array;
    expect(maxAbsDiff(logitsOf(await session.run(feeds)), base)).toBeLessThan(TOLERANCE.logits);
  });

  it('a name loaded twice: ADAPTER_EXISTS with transformers message; the first adapter stays', async () => {
    const session = await optSession();
    await session.loadAdapter(golden('opt-lora-basic'));
    await expect(session.loadAdapter(golden('opt-ia3'))).rejects.toMatchObject({
      code: 'ADAPTER_EXISTS',
      message: 'Adapter with name default already exists. Please use a different name.',
    });
    expect(session.adapterNames).toEqual(['default']);
    expect(session.activeAdapters()).toEqual(['default']);
  });

  it('unknown names: UNKNOWN_ADAPTER with the messages of set_adapter and delete_adapter', async () => {
    const session = await optSession();
    await session.loadAdapter(golden('opt-lora-basic'), 'a');
    expect(() => session.setAdapter('x')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_ADAPTER',
        message: "Adapter with name x not found. Please pass the correct adapter name among ['a']",
      }),
    );
    expect(() => session.setAdapter(['a', 'x', 'y'])).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_ADAPTER',
        message:
          'Following adapter(s) could not be found: x, y. Make sure you are passing the correct adapter name(s). ' +
          "current loaded adapters are: ['a']",
      }),
    );
    await expect(session.deleteAdapter(['a', 'x'])).rejects.toMatchObject({
      code: 'UNKNOWN_ADAPTER',
      message: 'The following adapter(s) are not present and cannot be deleted: x',
    });
    expect(session.adapterNames).toEqual(['a']); // nothing deleted
    expect(() => session.getAdapterStateDict('x')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_ADAPTER' }),
    );
    expect(() => session.setAdapter([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => session.setAdapter(['a', 'a'])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('LoRA and IA3 active together: INCOMPATIBLE_ADAPTERS (PEFT refuses mixed types); the state is unchanged', async () => {
    const session = await optSession();
    await session.loadAdapter(golden('opt-lora-basic'), 'lora');
    await session.loadAdapter(golden('opt-ia3'), 'ia3');
    expect(session.activeAdapters()).toEqual(['ia3']); // a loaded adapter becomes the only active one
    expect(() => session.setAdapter(['lora', 'ia3'])).toThrow(
      expect.objectContaining({
        code: 'INCOMPATIBLE_ADAPTERS',
        message: expect.stringContaining(
          'Cannot combine adapters with different peft types. Found LORA and IA3',
        ),
      }),
    );
    expect(session.activeAdapters()).toEqual(['ia3']);
    await session.loadAdapter(golden('opt-adalora'), 'ada');
    expect(() => session.setAdapter(['lora', 'ada'])).toThrow(
      expect.objectContaining({
        code: 'INCOMPATIBLE_ADAPTERS',
        message: expect.stringContaining('LORA and ADALORA'),
      }),
    );
  });

  it('two modules_to_save copies of one module cannot be active together', async () => {
    const bert = fixturePath('golden', 'bases', 'bert');
    const session = await createAdapterSession({ model: join(bert, 'model.onnx'), base: bert, backend });
    open.push(session);
    await session.loadAdapter(golden('bert-lora-seq-cls'), 'a');
    await session.loadAdapter(golden('bert-lora-seq-cls'), 'b');
    expect(() => session.setAdapter(['a', 'b'])).toThrow(
      expect.objectContaining({ code: 'INCOMPATIBLE_ADAPTERS', module: 'classifier' }),
    );
  });

  it('a second adapter with a bias: INCOMPATIBLE_ADAPTERS (PEFT supports only 1 adapter with bias)', async () => {
    const dir = fixturePath('generated', 'onnx', 'opt-lora-bias-lora-only');
    const session = await createAdapterSession({ model: join(dir, 'model.dynamo.onnx'), backend });
    open.push(session);
    await session.loadAdapter(generated('opt-lora-bias-lora-only'), 'a');
    await expect(session.loadAdapter(generated('opt-lora-bias-lora-only'), 'b')).rejects.toMatchObject({
      code: 'INCOMPATIBLE_ADAPTERS',
      message: expect.stringContaining('supports only 1 adapter with bias'),
    });
    expect(session.adapterNames).toEqual(['a']);
  });

  it('an adapter for another architecture: TARGET_NOT_FOUND listing the modules', async () => {
    const gpt2 = fixturePath('golden', 'bases', 'gpt2');
    const session = await createAdapterSession({ model: join(gpt2, 'model.onnx'), base: gpt2, backend });
    open.push(session);
    await expect(session.loadAdapter(golden('opt-lora-basic'))).rejects.toMatchObject({
      code: 'TARGET_NOT_FOUND',
      message: expect.stringContaining('model.decoder.layers.0.self_attn.q_proj'),
    });
    expect(session.adapterNames).toEqual([]);
  });

  it('an adapter for another base of the same family: SHAPE_MISMATCH naming the module and both shapes', async () => {
    const dir = fixturePath('generated', 'onnx', 'opt-lora-lora-bias');
    const session = await createAdapterSession({
      model: join(dir, 'model.onnx'),
      base: fixturePath('generated', 'merge', 'opt-lora-lora-bias', 'base'),
      backend,
    });
    open.push(session);
    const error = await session.loadAdapter(golden('opt-lora-basic')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SHAPE_MISMATCH',
      module: expect.stringMatching(/self_attn\.[qv]_proj$/),
    });
    expect((error as Error).message).toMatch(/lora A \[4, 32\] \/ B \[32, 4\] \(32→32\).*\[16, 16\]/);
  });

  it('an unknown mode: INVALID_ARGUMENT naming the value', async () => {
    await expect(
      AdapterSession.create({
        backend,
        model: await readOnnxModel(join(opt, 'model.onnx')),
        mode: 'lazy' as 'dynamic',
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('"lazy"'),
    });
  });

  it('feeds that do not match the inputs: INVALID_ARGUMENT naming them; a closed session: SESSION_CLOSED', async () => {
    const session = await optSession();
    const feeds = await readFeeds(join(opt, 'inputs.safetensors'), backend);
    const { attention_mask: _mask, ...partial } = feeds;
    await expect(session.run(partial)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('missing attention_mask'),
    });
    await expect(session.run({ ...feeds, extra: feeds.input_ids as BackendTensor })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('unknown extra'),
    });
    await session.close();
    await expect(session.run(feeds)).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('a model whose external data file is missing: MISSING_FILE', async () => {
    const { bytes } = await readOnnxModel(join(opt, 'model.dynamo.onnx'));
    await expect(
      AdapterSession.create({ backend, model: { bytes, externalData: [] } }),
    ).rejects.toMatchObject({
      code: 'MISSING_FILE',
      message: expect.stringContaining('model.dynamo.onnx.data'),
    });
    await expect(createAdapterSession({ model: join(opt, 'nope.onnx') })).rejects.toMatchObject({
      code: 'MISSING_FILE',
    });
  });
});
