// `pnpm bench kernels`: WebAssembly SIMD vs the TypeScript fallback for the LoRA delta-and-merge and the f16
// conversions, and the ./node worker pool on 2 threads. Prints BENCH lines (tooling/bench/run.mjs).
import { type BackendName, f16ToF32, f32ToF16, mergeLora, type Weight } from '@peftjs/kernels';
import { createKernelPool } from '@peftjs/kernels/node';

function report(name: string, value: number, unit: string, goal?: string): void {
  console.log(
    `BENCH ${JSON.stringify({ name, value: Number(value.toPrecision(4)), unit, ...(goal ? { goal } : {}) })}`,
  );
}

/** Median wall time of `runs` calls (after one warm-up call), in ms. */
async function time(runs: number, fn: () => unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] as number;
}

function random(n: number, scale: number, buffer?: SharedArrayBuffer): Float32Array {
  const out = buffer ? new Float32Array(buffer) : new Float32Array(n);
  let s = 2463534242;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

// ---- LoRA delta-and-merge: W (4096 x 4096) += s * B (4096 x 16) * A (16 x 4096)
const N = 4096;
const R = 16;
const lora = {
  a: random(R * N, 0.1),
  b: random(N * R, 0.1),
  rank: R,
  inFeatures: N,
  outFeatures: N,
  scaling: 2,
};
for (const dtype of ['f32', 'f16'] as const) {
  const f32 = random(N * N, 1);
  const data = dtype === 'f32' ? f32 : f32ToF16(f32);
  const ms: Record<BackendName, number> = { wasm: 0, js: 0 };
  for (const backend of ['wasm', 'js'] as const) {
    const weight: Weight = { data: data.slice(), dtype, rows: N, cols: N };
    ms[backend] = await time(3, () => mergeLora(weight, lora, { backend }));
    report(`LoRA merge ${N}x${N} r=${R} ${dtype} (${backend})`, ms[backend], 'ms');
  }
  report(`LoRA merge ${dtype}: WASM SIMD speed-up over TypeScript`, ms.js / ms.wasm, 'x', '> 1');
}

// ---- f16 <-> f32 conversion of 64M values
const M = 64 * 1024 * 1024;
{
  const values = random(M, 8);
  const half = f32ToF16(values);
  const outF32 = new Float32Array(M);
  const outF16 = new Uint16Array(M);
  const ms: Record<string, number> = {};
  for (const backend of ['wasm', 'js'] as const) {
    ms[`to-${backend}`] = await time(3, () => f16ToF32(half, { backend, out: outF32 }));
    ms[`from-${backend}`] = await time(3, () => f32ToF16(values, { backend, out: outF16 }));
    report(`f16 -> f32, 64M values (${backend})`, ms[`to-${backend}`] as number, 'ms');
    report(`f32 -> f16, 64M values (${backend})`, ms[`from-${backend}`] as number, 'ms');
  }
  report('f16 -> f32: WASM SIMD speed-up', (ms['to-js'] as number) / (ms['to-wasm'] as number), 'x', '> 1');
  report(
    'f32 -> f16: WASM SIMD speed-up',
    (ms['from-js'] as number) / (ms['from-wasm'] as number),
    'x',
    '> 1',
  );
}

// ---- worker pool: the same f32 merge on 2 threads (weight in a SharedArrayBuffer, so no copies)
{
  const weight: Weight = {
    data: random(N * N, 1, new SharedArrayBuffer(N * N * 4)),
    dtype: 'f32',
    rows: N,
    cols: N,
  };
  const single = await time(3, () => mergeLora(weight, lora, { backend: 'wasm' }));
  const pool = createKernelPool({ threads: 2 });
  const pooled = await time(3, () => pool.mergeLora(weight, lora));
  await pool.close();
  report(`LoRA merge ${N}x${N} r=${R} f32, 1 thread (WASM)`, single, 'ms');
  report(`LoRA merge ${N}x${N} r=${R} f32, worker pool, 2 threads`, pooled, 'ms');
  report('worker pool speed-up on 2 threads', single / pooled, 'x', '~2');
}
