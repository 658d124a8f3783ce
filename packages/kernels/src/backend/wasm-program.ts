import type { FloatDtype } from '../dtype.js';
import type { WasmExports } from '../wasm/load-wasm.js';
import type { LowRankJob } from './backend.js';

/** Bytes of weight data staged in WebAssembly memory per kernel call (rows are processed in chunks). */
export const CHUNK_BYTES: number = 8 << 20;

/** dtype codes of the WebAssembly module. @internal */
export const DT_CODE: Record<FloatDtype, number> = { f32: 0, f16: 1, bf16: 2 };
/** Element sizes. @internal */
export const DT_BYTES: Record<FloatDtype, number> = { f32: 4, f16: 2, bf16: 2 };

/** Rounds a byte count up to 16. @internal */
export const align16 = (n: number): number => (n + 15) & ~15;

/** A kernel argument: a plain number, or an offset from the instance's heap base (a pointer). @internal */
export type ProgramArg = number | { readonly at: number };

/**
 * One step of a {@link WasmProgram}: copy bytes in, call an export, copy bytes out. Offsets are relative to the
 * instance's (16-aligned) heap base, so the same program runs on any instance of the module. @internal
 */
export type ProgramStep =
  | { readonly op: 'put'; readonly at: number; readonly src: ArrayBufferView }
  | { readonly op: 'get'; readonly at: number; readonly dst: ArrayBufferView }
  | { readonly op: 'call'; readonly fn: 'lowRank' | 'widen'; readonly args: readonly ProgramArg[] };

/**
 * A kernel run written as data, so that it can run on this thread's instance or be posted to a worker (whose
 * views must then live in SharedArrayBuffers). @internal
 */
export interface WasmProgram {
  /** Bytes of linear memory needed above the heap base. */
  readonly bytes: number;
  readonly steps: readonly ProgramStep[];
}

/** The program of one fused low-rank update (see {@link LowRankJob}), in row chunks of ≤ 8 MB. @internal */
export function lowRankProgram(job: LowRankJob): WasmProgram {
  const { src, dst, rows, cols, rank } = job;
  if (rows === 0 || cols === 0) return { bytes: 0, steps: [] };
  const srcBytes = DT_BYTES[src.dtype];
  const dstBytes = DT_BYTES[dst.dtype];
  const shared = src.dtype === dst.dtype;
  const perRow = cols * srcBytes + (shared ? 0 : cols * dstBytes) + rank * 4;
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / perRow)));
  const qd = 0;
  const qf = align16(rank * cols * 8);
  const row = qf + align16(rank * cols * 4);
  const p = row + align16(cols * 4);
  const s = p + align16(chunkRows * rank * 4);
  const d = shared ? s : s + align16(chunkRows * cols * srcBytes);
  const steps: ProgramStep[] = [
    { op: 'put', at: qf, src: job.q },
    { op: 'call', fn: 'widen', args: [{ at: qf }, { at: qd }, rank * cols] },
  ];
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const n = Math.min(chunkRows, rows - r0);
    steps.push({ op: 'put', at: p, src: job.p.subarray(r0 * rank, (r0 + n) * rank) });
    steps.push({ op: 'put', at: s, src: src.data.subarray(r0 * cols, (r0 + n) * cols) });
    steps.push({
      op: 'call',
      fn: 'lowRank',
      args: [
        { at: s },
        DT_CODE[src.dtype],
        { at: d },
        DT_CODE[dst.dtype],
        n,
        cols,
        { at: p },
        { at: qd },
        rank,
        job.scale,
        job.divisor,
        job.subtract ? 1 : 0,
        DT_CODE[job.roundDelta],
        { at: row },
      ],
    });
    steps.push({ op: 'get', at: d, dst: dst.data.subarray(r0 * cols, (r0 + n) * cols) });
  }
  return { bytes: d + chunkRows * cols * dstBytes, steps };
}

/** Runs a program on an instance (the same code the `./node` pool's workers run). @internal */
export function runProgram(x: WasmExports, program: WasmProgram): void {
  const base = align16(x.heapBase());
  const missing = base + program.bytes - x.memory.buffer.byteLength;
  if (missing > 0) x.memory.grow(Math.ceil(missing / 65536));
  for (const step of program.steps) {
    if (step.op === 'put') {
      const bytes = new Uint8Array(step.src.buffer, step.src.byteOffset, step.src.byteLength);
      new Uint8Array(x.memory.buffer).set(bytes, base + step.at);
    } else if (step.op === 'get') {
      const out = new Uint8Array(step.dst.buffer, step.dst.byteOffset, step.dst.byteLength);
      out.set(new Uint8Array(x.memory.buffer, base + step.at, step.dst.byteLength));
    } else {
      const args = step.args.map((a) => (typeof a === 'number' ? a : base + a.at));
      (x[step.fn] as (...values: number[]) => void)(...args);
    }
  }
}
