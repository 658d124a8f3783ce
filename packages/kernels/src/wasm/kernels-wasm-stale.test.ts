import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { kernelsWasmBytes, wasmModule } from './load-wasm.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('the committed kernels-wasm.generated.ts is what assembly/*.ts compiles to (else: pnpm build:wasm)', () => {
  const run = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});

it('the embedded module is valid WebAssembly with SIMD and compiles synchronously', () => {
  const bytes = kernelsWasmBytes();
  expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
  const api = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
  expect(api.validate(bytes)).toBe(true);
  expect(wasmModule()).not.toBeNull();
});
