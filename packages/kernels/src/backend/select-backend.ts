import { KernelError } from '../errors.js';
import { initWasm as compileWasm } from '../wasm/load-wasm.js';
import type { Backend, BackendChoice, BackendName } from './backend.js';
import { jsBackend } from './js-backend.js';
import { resetWasmBackend, wasmBackend } from './wasm-backend.js';

/**
 * The backend an operation runs on for a given choice.
 *
 * @param choice - `'auto'` (default), `'wasm'` or `'js'`
 * @throws {KernelError} `WASM_UNAVAILABLE` for `'wasm'` without WebAssembly SIMD; `INVALID_ARGUMENT` for an
 *   unknown choice
 * @internal
 */
export function selectBackend(choice: BackendChoice | undefined): Backend {
  if (choice === 'js') return jsBackend;
  if (choice !== undefined && choice !== 'auto' && choice !== 'wasm') {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `backend must be 'auto', 'wasm' or 'js'; got ${JSON.stringify(choice)}`,
    );
  }
  const wasm = wasmBackend();
  if (wasm !== null) return wasm;
  if (choice === 'wasm') {
    throw new KernelError(
      'WASM_UNAVAILABLE',
      'backend "wasm" was requested, but this runtime cannot compile the WebAssembly SIMD module ' +
        '(no WebAssembly, no SIMD support, or synchronous compilation refused: await initWasm() first)',
    );
  }
  return jsBackend;
}

/**
 * Which backend `'auto'` picks in this runtime right now.
 *
 * @returns `'wasm'` when WebAssembly SIMD is usable, else `'js'`
 * @example
 * ```ts
 * console.log(`kernels run on ${defaultBackend()}`);
 * ```
 */
export function defaultBackend(): BackendName {
  return selectBackend('auto').name;
}

/**
 * Compiles the WebAssembly SIMD kernels asynchronously, for runtimes that refuse to compile synchronously (a
 * browser's main thread). Optional in Node and in workers, where the module compiles on first use.
 *
 * @returns whether the WebAssembly backend can be used
 * @example
 * ```ts
 * if (!(await initWasm())) console.warn('no WebAssembly SIMD: the TypeScript kernels will run');
 * ```
 */
export async function initWasm(): Promise<boolean> {
  const ok = await compileWasm();
  if (ok) resetWasmBackend();
  return ok && wasmBackend() !== null;
}
