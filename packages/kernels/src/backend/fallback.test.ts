// Runtimes without WebAssembly (or without SIMD): 'auto' falls back to TypeScript with the same results.
import { afterEach, expect, it, vi } from 'vitest';

const realWasm = (globalThis as unknown as { WebAssembly: object }).WebAssembly;

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

const lora = {
  a: new Float32Array([0.1, 0.2, 0.3, -0.1, 0, 0.1]),
  b: new Float32Array([1, 0, 0, 1, 0.5, 0.5, -1, 2]),
  rank: 2,
  inFeatures: 3,
  outFeatures: 4,
  scaling: 2,
};
const base = () => ({
  data: new Uint16Array([
    0x3800, 0xbc00, 0x3400, 0x4000, 0, 0xb800, 0x3c00, 0x3c00, 0x3c00, 0xc000, 0x3000, 0x4200,
  ]),
  dtype: 'f16' as const,
  rows: 4,
  cols: 3,
});

async function mergedWith(
  stub: unknown,
): Promise<{ backend: string; data: number[]; wasmCode: unknown; init: boolean }> {
  vi.resetModules();
  if (stub !== 'real') vi.stubGlobal('WebAssembly', stub);
  const k = await import('../index.js');
  const w = base();
  k.mergeLora(w, lora);
  let wasmCode: unknown;
  try {
    k.mergeLora(base(), lora, { backend: 'wasm' });
  } catch (e) {
    wasmCode = k.isKernelError(e) ? e.code : e;
  }
  return { backend: k.defaultBackend(), data: [...w.data], wasmCode, init: await k.initWasm() };
}

it('with WebAssembly SIMD: wasm', async () => {
  const real = await mergedWith('real');
  expect(real).toMatchObject({ backend: 'wasm', wasmCode: undefined, init: true });
});

it('without WebAssembly, or when SIMD fails to validate: js, identical results, WASM_UNAVAILABLE on demand', async () => {
  const real = await mergedWith('real');
  const none = await mergedWith(undefined);
  expect(none).toMatchObject({ backend: 'js', wasmCode: 'WASM_UNAVAILABLE', init: false });
  expect(none.data).toEqual(real.data);
  const noSimd = await mergedWith({
    ...realWasm,
    Module: Reflect.get(realWasm, 'Module'),
    validate: () => false,
  });
  expect(noSimd).toMatchObject({ backend: 'js', wasmCode: 'WASM_UNAVAILABLE', init: false });
  expect(noSimd.data).toEqual(real.data);
});
