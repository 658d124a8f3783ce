import type { FloatBuffer, FloatDtype } from '../dtype.js';

/** Which implementation runs the hot loops: WebAssembly SIMD or the plain TypeScript fallback. */
export type BackendName = 'wasm' | 'js';

/**
 * Backend choice of an operation: `'auto'` (default) uses WebAssembly SIMD when the runtime supports it and
 * TypeScript otherwise; `'wasm'` requires WebAssembly (throws `WASM_UNAVAILABLE` without it); `'js'` forces
 * TypeScript. Both give bit-identical results.
 */
export type BackendChoice = 'auto' | BackendName;

/** Options every kernel that has a hot loop accepts. */
export interface KernelOptions {
  /** Which implementation to use; default `'auto'`. */
  backend?: BackendChoice;
}

/**
 * One fused low-rank update over `rows` rows (internal contract of both backends):
 * `dst[i,j] = cast(src[i,j] ± round(fl((fl(Σ_k p[i,k]·q[k,j]) · fl(scale)) / fl(divisor))))`, where the sum is a
 * chain of f32 fused multiply-adds in k order, `round` rounds to `roundDelta` and back, `cast` rounds to
 * `dst.dtype`. `src` and `dst` may be the same buffer. @internal
 */
export interface LowRankJob {
  readonly src: FloatBuffer;
  readonly dst: FloatBuffer;
  readonly rows: number;
  readonly cols: number;
  /** `[rows, rank]`. */
  readonly p: Float32Array;
  /** `[rank, cols]`. */
  readonly q: Float32Array;
  readonly rank: number;
  readonly scale: number;
  readonly divisor: number;
  readonly subtract: boolean;
  readonly roundDelta: FloatDtype;
}

/** `dst[i,j] = cast(src[i,j] · f)` (or `/ f`), f per row or per column, one f32 operation. @internal */
export interface ScaleJob {
  readonly src: FloatBuffer;
  readonly dst: FloatBuffer;
  readonly rows: number;
  readonly cols: number;
  /** `[rows]` (per row) or `[cols]` (per column). */
  readonly factors: Float32Array;
  readonly perCol: boolean;
  readonly divide: boolean;
}

/** The hot loops, implemented twice with identical results. @internal */
export interface Backend {
  readonly name: BackendName;
  /** 16-bit float bits → f32 (exact). */
  toF32(src: Uint16Array, dtype: 'f16' | 'bf16', dst: Float32Array): void;
  /** f32 → 16-bit float bits (round to nearest even, PyTorch's specials). */
  fromF32(src: Float32Array, dtype: 'f16' | 'bf16', dst: Uint16Array): void;
  lowRank(job: LowRankJob): void;
  scale(job: ScaleJob): void;
  /** Σ_j x[i,j]² per row in f64: partial sums s[j mod 4], combined (s0 + s1) + (s2 + s3). */
  rowSumSquares(src: Float32Array, rows: number, cols: number): Float64Array;
  /** acc[j] += Σ_i x[i,j]² in f64, rows in order. */
  colSumSquares(src: Float32Array, rows: number, cols: number, acc: Float64Array): void;
}
