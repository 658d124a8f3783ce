import { KERNELS_WASM_BASE64 } from './kernels-wasm.generated.js';

/** The slice of the `WebAssembly` global the kernels use (typed here: the ES lib has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<CompiledModule>;
}

/** A compiled `WebAssembly.Module` (opaque; it can be posted to workers). @internal */
export interface CompiledModule {
  readonly __brand?: 'WebAssembly.Module';
}

/** A `WebAssembly.Memory`. @internal */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The functions the WebAssembly module exports (pointers are byte offsets into `memory`). @internal */
export interface WasmExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  toF32(src: number, dt: number, dst: number, n: number): void;
  fromF32(src: number, dt: number, dst: number, n: number): void;
  lowRank(
    src: number,
    srcDt: number,
    dst: number,
    dstDt: number,
    rows: number,
    cols: number,
    p: number,
    qd: number,
    rank: number,
    scale: number,
    divisor: number,
    subtract: number,
    roundDt: number,
    row: number,
  ): void;
  scale(
    src: number,
    srcDt: number,
    dst: number,
    dstDt: number,
    rows: number,
    cols: number,
    factors: number,
    perCol: number,
    divide: number,
    row: number,
  ): void;
  rowSumSquares(src: number, rows: number, cols: number, out: number): void;
  colSumSquares(src: number, rows: number, cols: number, acc: number): void;
  widen(src: number, dst: number, n: number): void;
}

let compiled: CompiledModule | null | undefined;

function api(): WasmApi | undefined {
  const candidate = (globalThis as { WebAssembly?: Partial<WasmApi> }).WebAssembly;
  return typeof candidate === 'object' && typeof candidate.Module === 'function'
    ? (candidate as WasmApi)
    : undefined;
}

/** The module's bytes, decoded from the generated base64. @internal */
export function kernelsWasmBytes(): Uint8Array {
  const text = atob(KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The compiled module, compiled synchronously on first use; `null` when this runtime has no WebAssembly, no
 * SIMD, or refuses synchronous compilation (browsers' main threads may; call {@link initWasm} there). @internal
 */
export function wasmModule(): CompiledModule | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const wasm = api();
  if (wasm === undefined) return compiled;
  try {
    const bytes = kernelsWasmBytes();
    if (wasm.validate(bytes)) compiled = new wasm.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Compiles the module asynchronously (see the public `initWasm`). @internal */
export async function initWasm(): Promise<boolean> {
  if (compiled) return true;
  const wasm = api();
  if (wasm === undefined) return false;
  try {
    const bytes = kernelsWasmBytes();
    if (!wasm.validate(bytes)) return false;
    compiled = await wasm.compile(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A fresh instance of the module with its own memory, or null when the module is unavailable. @internal */
export function instantiateKernels(): WasmExports | null {
  const module = wasmModule();
  const wasm = api();
  if (module === null || wasm === undefined) return null;
  try {
    return new wasm.Instance(module, {}).exports as WasmExports;
  } catch {
    return null;
  }
}
