// `pnpm bench runtime-node`: builds a ≥ 1 GiB F16 Llama-style checkpoint (hidden 2048, 10 layers, every linear
// layer) and an r=16 LoRA on all linear layers in os.tmpdir(), then times mergeAdapterToDirectory against `cp` of
// the same file (best of 2 each, page cache warm for both) and measures the merge's peak RSS in a child process.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoraConfig } from '@peftjs/config';
import { type LazyTensorInput, writeSafetensorsFile } from '@peftjs/safetensors/node';
import { Adapter, mergeAdapterToDirectory, saveAdapter } from '../src/index.js';

const MiB = 1024 * 1024;
const HIDDEN = 2048;
const INTER = 5632;
const VOCAB = 32000;
const LAYERS = 10;
const RANK = 16;
const RUNS = 2;
const LINEAR = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

/** [out, in] of each linear module. */
function linearShape(m: (typeof LINEAR)[number]): [number, number] {
  if (m === 'gate_proj' || m === 'up_proj') return [INTER, HIDDEN];
  if (m === 'down_proj') return [HIDDEN, INTER];
  return [HIDDEN, HIDDEN];
}

/** Finite F16 values in ±[1/32, 1/16): random sign and mantissa, fixed exponent (no NaN, Inf or subnormals). */
function f16Block(bytes: number): Uint8Array {
  const bits = new Uint16Array(bytes / 2);
  randomFillSync(bits);
  for (let i = 0; i < bits.length; i++) bits[i] = ((bits[i] as number) & 0x83ff) | 0x2800;
  return new Uint8Array(bits.buffer);
}

function baseTensors(): [string, LazyTensorInput][] {
  const block = f16Block(8 * MiB);
  const lazy = (shape: number[]): LazyTensorInput => {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    const data = async function* () {
      for (let at = 0; at < bytes; at += block.length)
        yield block.subarray(0, Math.min(block.length, bytes - at));
    };
    return { dtype: 'F16', shape, data };
  };
  const out: [string, LazyTensorInput][] = [
    ['model.embed_tokens.weight', lazy([VOCAB, HIDDEN])],
    ['model.norm.weight', lazy([HIDDEN])],
    ['lm_head.weight', lazy([VOCAB, HIDDEN])],
  ];
  for (let l = 0; l < LAYERS; l++) {
    for (const m of LINEAR) {
      const group = LINEAR.indexOf(m) < 4 ? 'self_attn' : 'mlp';
      out.push([`model.layers.${l}.${group}.${m}.weight`, lazy(linearShape(m))]);
    }
    out.push([`model.layers.${l}.input_layernorm.weight`, lazy([HIDDEN])]);
    out.push([`model.layers.${l}.post_attention_layernorm.weight`, lazy([HIDDEN])]);
  }
  return out;
}

function adapter(): Adapter {
  const tensors = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
  const values = (n: number) => Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 0.02);
  for (let l = 0; l < LAYERS; l++) {
    for (const m of LINEAR) {
      const group = LINEAR.indexOf(m) < 4 ? 'self_attn' : 'mlp';
      const [out, inF] = linearShape(m);
      const key = `base_model.model.model.layers.${l}.${group}.${m}`;
      tensors.set(`${key}.lora_A.weight`, { dtype: 'F32', shape: [RANK, inF], data: values(RANK * inF) });
      tensors.set(`${key}.lora_B.weight`, { dtype: 'F32', shape: [out, RANK], data: values(out * RANK) });
    }
  }
  const config = createLoraConfig({
    r: RANK,
    lora_alpha: 32,
    target_modules: [...LINEAR],
    task_type: 'CAUSAL_LM',
  });
  return Adapter.create({ config, tensors });
}

const report = (name: string, value: number, unit: string, goal?: string) =>
  console.log(`BENCH ${JSON.stringify({ name, value, unit, ...(goal === undefined ? {} : { goal }) })}`);

/** Child mode: one merge, then `{ seconds, rssBefore, maxRss }` on stdout. */
async function child(
  baseDir: string,
  adapterDir: string,
  outDir: string,
  sync: boolean,
  threads?: number,
): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  await mergeAdapterToDirectory({
    baseDir,
    adapterDir,
    outDir,
    sync,
    ...(threads === undefined ? {} : { threads }),
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `CHILD ${JSON.stringify({ seconds, rssBefore, maxRss: process.resourceUsage().maxRSS * 1024 })}`,
  );
}

function runChild(baseDir: string, adapterDir: string, outDir: string, sync: boolean) {
  rmSync(outDir, { recursive: true, force: true });
  const run = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1] as string, '--child', baseDir, adapterDir, outDir, String(sync)],
    { encoding: 'utf8', maxBuffer: 16 * MiB },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('CHILD '));
  if (run.status !== 0 || line === undefined) throw new Error(`merge child failed: ${run.stderr}`);
  return JSON.parse(line.slice(6)) as { seconds: number; rssBefore: number; maxRss: number };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'peftjs-merge-bench-'));
  try {
    const baseDir = join(dir, 'base');
    const adapterDir = join(dir, 'adapter');
    mkdirSync(baseDir);
    const weights = join(baseDir, 'model.safetensors');
    await writeSafetensorsFile(weights, baseTensors(), { metadata: { format: 'pt' }, sync: false });
    writeFileSync(join(baseDir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: HIDDEN }));
    const lora = adapter();
    await saveAdapter(adapterDir, lora);
    const size = statSync(weights).size;
    const adapterBytes = statSync(join(adapterDir, 'adapter_model.safetensors')).size;
    const largest = VOCAB * HIDDEN * 2;
    console.log(
      `base ${(size / MiB).toFixed(0)} MiB (largest tensor ${(largest / MiB).toFixed(0)} MiB), ` +
        `adapter ${(adapterBytes / MiB).toFixed(1)} MiB, ${lora.layers.length} LoRA layers, r=${RANK}`,
    );

    let cp = Number.POSITIVE_INFINITY;
    for (let i = 0; i < RUNS; i++) {
      const target = join(dir, 'cp.safetensors');
      rmSync(target, { force: true });
      const start = process.hrtime.bigint();
      const run = spawnSync('cp', [weights, target]);
      cp = Math.min(cp, Number(process.hrtime.bigint() - start) / 1e9);
      if (run.status !== 0) throw new Error(`cp failed: ${run.stderr}`);
      rmSync(target);
    }
    // cp leaves its copy in the page cache, and so does the merge with sync: false; the default (sync: true) also
    // waits for the disk before renaming, reported separately.
    let merge = Number.POSITIVE_INFINITY;
    let synced = Number.POSITIVE_INFINITY;
    let rss = { rssBefore: 0, maxRss: 0 };
    for (let i = 0; i < RUNS; i++) {
      for (const sync of [false, true]) {
        const result = runChild(baseDir, adapterDir, join(dir, 'merged'), sync);
        if (sync) synced = Math.min(synced, result.seconds);
        else merge = Math.min(merge, result.seconds);
        if (result.maxRss > rss.maxRss) rss = result;
      }
    }
    console.log(
      `${availableParallelism()} cores: cp ${cp.toFixed(2)} s, merge ${merge.toFixed(2)} s ` +
        `(${(size / MiB / merge).toFixed(0)} MiB/s), merge with fsync ${synced.toFixed(2)} s`,
    );
    report('merge 1.2 GiB f16, r=16 all-linear vs cp (no fsync, like cp)', merge / cp, '× cp', '≤ 1.5');
    report('merge wall time (no fsync)', merge, 's');
    report('merge wall time (default: fsync before rename)', synced, 's');
    const budget = 2 * largest + adapterBytes;
    report(
      'merge peak RSS',
      rss.maxRss / MiB,
      'MiB',
      `< ${(budget / MiB).toFixed(0)} MiB (2×largest+adapter)`,
    );
    report('merge peak RSS / (2×largest tensor + adapter)', rss.maxRss / budget, '×', '< 1');
    report('node RSS before merging', rss.rssBefore / MiB, 'MiB');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [, , , baseDir, adapterDir, outDir, sync, threads] = process.argv as string[];
  await child(
    baseDir as string,
    adapterDir as string,
    outDir as string,
    sync !== 'false',
    threads === undefined ? undefined : Number(threads),
  );
} else {
  await main();
}
