import { describe, expect, it } from 'vitest';
import { Adapter } from '../adapter.js';
import { AdapterRegistry } from './adapter-registry.js';

const f32 = (shape: number[]) => ({
  dtype: 'F32' as const,
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5),
});

/** A LoRA on `proj` (4 → 4, r 2), optionally with a trained bias or a modules_to_save `head`. */
function lora(options: { bias?: 'none' | 'all'; head?: boolean } = {}): Adapter {
  const tensors: Record<string, ReturnType<typeof f32>> = {
    'base_model.model.proj.lora_A.weight': f32([2, 4]),
    'base_model.model.proj.lora_B.weight': f32([4, 2]),
  };
  if (options.bias === 'all') tensors['base_model.model.proj.bias'] = f32([4]);
  if (options.head) tensors['base_model.model.head.weight'] = f32([3, 4]);
  return Adapter.create({
    config: {
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 4,
      target_modules: ['proj'],
      bias: options.bias ?? 'none',
      ...(options.head ? { modules_to_save: ['head'] } : {}),
    },
    tensors,
  });
}

function ia3(): Adapter {
  return Adapter.create({
    config: { peft_type: 'IA3', target_modules: ['proj'], feedforward_modules: [] },
    tensors: { 'base_model.model.proj.ia3_l': f32([4, 1]) },
  });
}

function registry(...names: [string, Adapter][]): AdapterRegistry<null> {
  const r = new AdapterRegistry<null>();
  for (const [name, adapter] of names) r.add({ name, adapter, prepared: null });
  return r;
}

describe('AdapterRegistry: transformers PeftAdapterMixin and PEFT rules', () => {
  it('an added adapter becomes the only active one; several are set in order', () => {
    const r = registry(['a', lora()], ['b', lora()]);
    expect(r.activeNames()).toEqual(['b']);
    r.setActive(['b', 'a']);
    expect(r.state()).toEqual({ names: ['b', 'a'], enabled: true });
    r.setEnabled(false);
    expect(r.state()).toEqual({ names: ['b', 'a'], enabled: false });
  });

  it('refuses mixed PEFT types and two modules_to_save copies of one module, keeping the state', () => {
    const r = registry(['l', lora({ head: true })], ['i', ia3()], ['m', lora({ head: true })]);
    r.setActive('l');
    expect(() => r.setActive(['l', 'i'])).toThrow(
      expect.objectContaining({
        code: 'INCOMPATIBLE_ADAPTERS',
        message: expect.stringContaining('Found LORA and IA3'),
      }),
    );
    expect(() => r.setActive(['l', 'm'])).toThrow(
      expect.objectContaining({ code: 'INCOMPATIBLE_ADAPTERS', module: 'head' }),
    );
    expect(r.activeNames()).toEqual(['l']);
  });

  it('allows one adapter with a bias (PEFT: "supports only 1 adapter with bias")', () => {
    const r = registry(['a', lora({ bias: 'all' })], ['b', lora()]);
    expect(() => r.checkNew('c', lora({ bias: 'all' }))).toThrow(
      expect.objectContaining({ code: 'INCOMPATIBLE_ADAPTERS' }),
    );
    expect(() => r.checkNew('b', lora())).toThrow(
      expect.objectContaining({
        code: 'ADAPTER_EXISTS',
        message: 'Adapter with name b already exists. Please use a different name.',
      }),
    );
  });

  it('deleting active adapters keeps the remaining active ones, else picks the alphabetically first', () => {
    const r = registry(['z', lora()], ['c', lora()], ['a', lora()], ['b', lora()]);
    r.setActive(['a', 'b']);
    r.delete('a');
    expect(r.activeNames()).toEqual(['b']);
    r.delete(['b', 'b']);
    expect(r.activeNames()).toEqual(['c']);
    expect(() => r.delete(['c', 'q'])).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_ADAPTER',
        message: 'The following adapter(s) are not present and cannot be deleted: q',
      }),
    );
    expect(r.names()).toEqual(['z', 'c']);
    r.setEnabled(false);
    expect(r.delete(['z', 'c']).map((e) => e.name)).toEqual(['z', 'c']);
    expect(() => r.activeNames()).toThrow(
      expect.objectContaining({
        code: 'NO_ADAPTER_LOADED',
        message: 'No adapter loaded. Please load an adapter first.',
      }),
    );
    expect(r.state()).toEqual({ names: [], enabled: true });
  });
});
