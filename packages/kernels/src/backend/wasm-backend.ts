import { instantiateKernels, type WasmExports } from '../wasm/load-wasm.js';
import type { Backend, LowRankJob, ScaleJob } from './backend.js';
import {
  align16 as align,
  CHUNK_BYTES,
  DT_BYTES,
  DT_CODE,
  lowRankProgram,
  runProgram,
} from './wasm-program.js';

/** Values per chunk of a bulk conversion. */
const CONVERT_CHUNK = 1 << 20;

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The WebAssembly SIMD backend: one instance (own linear memory) per thread, data copied in and out. */
class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  private readonly x: WasmExports;
  private readonly base: number;

  constructor(exports: WasmExports) {
    this.x = exports;
    this.base = align(exports.heapBase());
  }

  /** Makes sure `bytes` bytes above the heap base exist; returns the heap base. */
  private reserve(bytes: number): number {
    const memory = this.x.memory;
    const missing = this.base + bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    return this.base;
  }

  private put(ptr: number, view: ArrayBufferView): void {
    new Uint8Array(this.x.memory.buffer).set(bytesOf(view), ptr);
  }

  private get(ptr: number, view: ArrayBufferView): void {
    bytesOf(view).set(new Uint8Array(this.x.memory.buffer, ptr, view.byteLength));
  }

  toF32(src: Uint16Array, dtype: 'f16' | 'bf16', dst: Float32Array): void {
    const chunk = Math.min(CONVERT_CHUNK, src.length);
    const inPtr = this.reserve(align(chunk * 2) + chunk * 4);
    const outPtr = inPtr + align(chunk * 2);
    for (let start = 0; start < src.length; start += chunk) {
      const n = Math.min(chunk, src.length - start);
      this.put(inPtr, src.subarray(start, start + n));
      this.x.toF32(inPtr, DT_CODE[dtype], outPtr, n);
      this.get(outPtr, dst.subarray(start, start + n));
    }
  }

  fromF32(src: Float32Array, dtype: 'f16' | 'bf16', dst: Uint16Array): void {
    const chunk = Math.min(CONVERT_CHUNK, src.length);
    const inPtr = this.reserve(chunk * 4 + chunk * 2);
    const outPtr = inPtr + chunk * 4;
    for (let start = 0; start < src.length; start += chunk) {
      const n = Math.min(chunk, src.length - start);
      this.put(inPtr, src.subarray(start, start + n));
      this.x.fromF32(inPtr, DT_CODE[dtype], outPtr, n);
      this.get(outPtr, dst.subarray(start, start + n));
    }
  }

  lowRank(job: LowRankJob): void {
    runProgram(this.x, lowRankProgram(job));
  }

  scale(job: ScaleJob): void {
    const { src, dst, rows, cols, factors, perCol } = job;
    if (rows === 0 || cols === 0) return;
    const srcBytes = DT_BYTES[src.dtype];
    const dstBytes = DT_BYTES[dst.dtype];
    const shared = src.dtype === dst.dtype;
    const perRow = cols * srcBytes + (shared ? 0 : cols * dstBytes) + 4;
    const chunkRows = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / perRow)));
    const f = 0;
    const row = align((perCol ? cols : chunkRows) * 4);
    const s = row + align(cols * 4);
    const d = shared ? s : s + align(chunkRows * cols * srcBytes);
    const base = this.reserve(d + chunkRows * cols * dstBytes);
    if (perCol) this.put(base + f, factors);
    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const n = Math.min(chunkRows, rows - r0);
      if (!perCol) this.put(base + f, factors.subarray(r0, r0 + n));
      this.put(base + s, src.data.subarray(r0 * cols, (r0 + n) * cols));
      this.x.scale(
        base + s,
        DT_CODE[src.dtype],
        base + d,
        DT_CODE[dst.dtype],
        n,
        cols,
        base + f,
        perCol ? 1 : 0,
        job.divide ? 1 : 0,
        base + row,
      );
      this.get(base + d, dst.data.subarray(r0 * cols, (r0 + n) * cols));
    }
  }

  rowSumSquares(src: Float32Array, rows: number, cols: number): Float64Array {
    const out = new Float64Array(rows);
    if (rows === 0) return out;
    const chunkRows = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / (cols * 4 + 8))));
    const o = align(chunkRows * cols * 4);
    const base = this.reserve(o + chunkRows * 8);
    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const n = Math.min(chunkRows, rows - r0);
      this.put(base, src.subarray(r0 * cols, (r0 + n) * cols));
      this.x.rowSumSquares(base, n, cols, base + o);
      this.get(base + o, out.subarray(r0, r0 + n));
    }
    return out;
  }

  colSumSquares(src: Float32Array, rows: number, cols: number, acc: Float64Array): void {
    if (rows === 0 || cols === 0) return;
    const chunkRows = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / (cols * 4))));
    const a = align(chunkRows * cols * 4);
    const base = this.reserve(a + cols * 8);
    this.put(base + a, acc);
    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const n = Math.min(chunkRows, rows - r0);
      this.put(base, src.subarray(r0 * cols, (r0 + n) * cols));
      this.x.colSumSquares(base, n, cols, base + a);
    }
    this.get(base + a, acc);
  }
}

let instance: WasmBackend | null | undefined;

/** This thread's WebAssembly backend, or null when WebAssembly SIMD is unavailable. @internal */
export function wasmBackend(): Backend | null {
  if (instance === undefined) {
    const exports = instantiateKernels();
    instance = exports === null ? null : new WasmBackend(exports);
  }
  return instance;
}

/** Forgets a failed attempt so that the next call retries (after `initWasm()` succeeded). @internal */
export function resetWasmBackend(): void {
  if (instance === null) instance = undefined;
}
