// `pnpm bench safetensors`: writes a ≥ 1 GiB safetensors file of LLM-sized F16/F32 tensors (streamed), then
// times reading every tensor with openSafetensorsFile vs fs.readFile of the same file, best of 3 each.
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LazyTensorInput, openSafetensorsFile, writeSafetensorsFile } from '../src/node.js';

const MiB = 1024 * 1024;
const RUNS = 3;

/** A Llama-7B-like slice: embeddings, three decoder layers (F16), norms and a F32 projection. */
function tensors(): [string, LazyTensorInput][] {
  const hidden = 4096;
  const inter = 11008;
  const out: [string, { dtype: 'F16' | 'F32'; shape: number[] }][] = [
    ['model.embed_tokens.weight', { dtype: 'F16', shape: [32000, hidden] }],
    ['model.norm.weight', { dtype: 'F32', shape: [hidden] }],
    ['lm_head.adapter.weight', { dtype: 'F32', shape: [hidden, hidden] }],
  ];
  for (let l = 0; l < 3; l++) {
    const p = `model.layers.${l}`;
    for (const m of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
      out.push([`${p}.self_attn.${m}.weight`, { dtype: 'F16', shape: [hidden, hidden] }]);
    }
    out.push([`${p}.mlp.gate_proj.weight`, { dtype: 'F16', shape: [inter, hidden] }]);
    out.push([`${p}.mlp.up_proj.weight`, { dtype: 'F16', shape: [inter, hidden] }]);
    out.push([`${p}.mlp.down_proj.weight`, { dtype: 'F16', shape: [hidden, inter] }]);
    out.push([`${p}.input_layernorm.weight`, { dtype: 'F32', shape: [hidden] }]);
  }
  // One random block, repeated: generating fresh random bytes would dominate the write time.
  const block = randomFillSync(new Uint8Array(8 * MiB));
  return out.map(([name, t]) => {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'F16' ? 2 : 4);
    const data = async function* () {
      for (let at = 0; at < bytes; at += block.length)
        yield block.subarray(0, Math.min(block.length, bytes - at));
    };
    return [name, { ...t, data }];
  });
}

async function best(run: () => Promise<number>): Promise<{ seconds: number; bytes: number }> {
  let seconds = Number.POSITIVE_INFINITY;
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    bytes = await run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { seconds, bytes };
}

async function readOurs(path: string): Promise<number> {
  const file = await openSafetensorsFile(path);
  let total = 0;
  try {
    for (const name of file.tensorNames()) total += (await file.read(name)).data.length;
  } finally {
    await file.close();
  }
  return total;
}

async function readWhole(path: string): Promise<number> {
  return (await readFile(path)).length;
}

const report = (name: string, value: number, unit: string, goal?: string) =>
  console.log(`BENCH ${JSON.stringify({ name, value, unit, ...(goal === undefined ? {} : { goal }) })}`);

const dir = mkdtempSync(join(tmpdir(), 'peftjs-bench-'));
const path = join(dir, 'bench.safetensors');
try {
  const writeStart = process.hrtime.bigint();
  await writeSafetensorsFile(path, tensors(), { metadata: { format: 'pt' }, sync: false });
  const writeSeconds = Number(process.hrtime.bigint() - writeStart) / 1e9;
  const size = statSync(path).size;
  console.log(`wrote ${(size / MiB).toFixed(0)} MiB in ${writeSeconds.toFixed(2)} s to ${path}`);
  if (size < 1024 * MiB) throw new Error(`bench file is only ${size} bytes`);
  // Warm the page cache once so both readers see the same state, then alternate them.
  await readWhole(path);
  const ours = await best(() => readOurs(path));
  const whole = await best(() => readWhole(path));
  const oursMBs = ours.bytes / MiB / ours.seconds;
  const wholeMBs = whole.bytes / MiB / whole.seconds;
  console.log(
    `ours: ${ours.bytes} tensor bytes in ${ours.seconds.toFixed(3)} s; fs.readFile: ${whole.bytes} bytes in ` +
      `${whole.seconds.toFixed(3)} s (best of ${RUNS})`,
  );
  report('read all tensors: throughput ours / fs.readFile', oursMBs / wholeMBs, 'x', '>= 0.9');
  report('read all tensors (openSafetensorsFile)', oursMBs, 'MiB/s');
  report('fs.readFile of the same file', wholeMBs, 'MiB/s');
  report('streamed write (writeSafetensorsFile)', size / MiB / writeSeconds, 'MiB/s');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
