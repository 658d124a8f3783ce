// `pnpm bench large-decoder`: AdapterSession on a decoder of realistic size, built in memory at run time (a
// Llama-like stack of 8 layers, hidden 1024, MLP 2816, vocabulary 1024, single-head attention without a mask,
// f32 weights from a seeded PRNG: 103 M parameters, 413 MB), laid out as a TorchScript export. LoRA adapters
// (r = 8, 16, 64 on all 7 projections of every layer, B non-zero) are built in memory with `Adapter.create`.
// Batch 1, a 32-token prefill, onnxruntime-node's default thread count, median of a few warm runs.
// Measured: base, merged (r=16) and dynamic (r=8/16/64) forwards; the switch cost in dynamic mode (setAdapter +
// one run, minus a plain run) vs merged mode (re-merge + backend session re-creation) vs a new session from
// scratch; the adapter load time (Adapter.create + addAdapter, which locates and checks every target).
import { type Adapter, AdapterSession, type BackendTensor, onnxruntimeNodeBackend } from '../src/index.js';
import { buildDecoder, type DecoderShape } from './large-decoder/build-decoder.js';
import { createLora, type LoraTensors, loraTensors } from './large-decoder/build-lora.js';

const SHAPE: DecoderShape = { layers: 8, hidden: 1024, intermediate: 2816, vocab: 1024 };
const SEQ = 32;
const WARMUP = 2;
const RUNS = 7;
const SWITCHES = 4;
const backend = onnxruntimeNodeBackend();

function report(name: string, value: number, unit: string, goal?: string): void {
  console.log(`BENCH ${JSON.stringify({ name, value, unit, ...(goal === undefined ? {} : { goal }) })}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await f();
  return [value, performance.now() - t];
}

async function forwardMs(session: AdapterSession, runs = RUNS): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(() => session.run(feeds)))[1]);
  return median(times);
}

/** Median of (setAdapter to the other adapter + one run) minus a plain run, alternating between `a` and `b`. */
async function switchMs(session: AdapterSession, plainMs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SWITCHES; i++) {
    const [, ms] = await timed(async () => {
      session.setAdapter(i % 2 === 0 ? 'b' : 'a');
      await session.run(feeds);
    });
    times.push(ms - plainMs);
  }
  return median(times);
}

const ids = new BigInt64Array(SEQ).map((_, i) => BigInt((i * 37 + 11) % SHAPE.vocab));
const feeds: Record<string, BackendTensor> = { input_ids: backend.tensor('int64', ids, [1, SEQ]) };

const [model, buildMs] = await timed(() => buildDecoder(SHAPE));
const weightBytes = model.externalData.reduce((n, f) => n + f.data.byteLength, 0);
console.log(
  `decoder: ${SHAPE.layers} layers, hidden ${SHAPE.hidden}, ${(weightBytes / 2 ** 20).toFixed(0)} MiB`,
);
report('build the decoder in memory (JS)', buildMs, 'ms');
const tensors = new Map<string, LoraTensors>();
for (const [name, r, seed] of [
  ['r8', 8, 11],
  ['r16a', 16, 12],
  ['r16b', 16, 13],
  ['r64', 64, 14],
] as const)
  tensors.set(name, loraTensors(SHAPE, r, seed));
const lora = (name: string): Adapter =>
  createLora(Number(name.replace(/\D/g, '')), tensors.get(name) as LoraTensors);
const open = (mode: 'merged' | 'dynamic') => AdapterSession.create({ backend, model, mode, cacheSize: 1 });

// merged mode: base forward, adapter load, merged forward, switch (re-merge + session re-creation)
const merged = await open('merged');
let baseMs: number;
try {
  baseMs = await forwardMs(merged);
  report('base forward (batch 1, seq 32)', baseMs, 'ms');
  const [, loadMs] = await timed(async () => merged.addAdapter(lora('r16a'), 'a'));
  report('adapter load r=16 (Adapter.create + addAdapter)', loadMs, 'ms');
  await merged.addAdapter(lora('r16b'), 'b');
  merged.setAdapter('a');
  const [, firstMs] = await timed(() => merged.run(feeds));
  report('merged: first run after load r=16 (merge + session)', firstMs, 'ms');
  const mergedMs = await forwardMs(merged);
  report('merged forward r=16', mergedMs, 'ms');
  report('merged / base forward r=16', mergedMs / baseMs, '×', '= 1');
  report(
    'merged: switch (re-merge + session re-creation) + run − run',
    await switchMs(merged, mergedMs),
    'ms',
  );
} finally {
  await merged.close();
}

// a new session from scratch: create + addAdapter + first run (merged mode)
{
  const [, ms] = await timed(async () => {
    const fresh = await open('merged');
    try {
      await fresh.addAdapter(lora('r16a'), 'a');
      await fresh.run(feeds);
    } finally {
      await fresh.close();
    }
  });
  report('new session from scratch r=16 (create + addAdapter + first run)', ms, 'ms');
}

// dynamic mode: one session per rank, with only that adapter loaded
for (const name of ['r8', 'r16a', 'r64']) {
  const rank = name.replace(/\D/g, '');
  const session = await open('dynamic');
  try {
    await session.addAdapter(lora(name), 'a');
    const [, firstMs] = await timed(() => session.run(feeds));
    report(`dynamic: first run after load r=${rank} (rewrite + session)`, firstMs, 'ms');
    const ms = await forwardMs(session);
    report(`dynamic forward r=${rank}`, ms, 'ms');
    report(
      `dynamic / base forward r=${rank}`,
      ms / baseMs,
      '×',
      rank === '16' ? '≤ 1.10 (within 10 % of base)' : undefined,
    );
    if (rank !== '16') continue;
    // switching: two r=16 adapters loaded (the model is rebuilt with both branches)
    await session.addAdapter(lora('r16b'), 'b');
    session.setAdapter('a');
    await session.run(feeds);
    const plainMs = await forwardMs(session);
    report('dynamic forward r=16 with 2 adapters loaded', plainMs, 'ms');
    report('dynamic: switch (setAdapter + run − run)', await switchMs(session, plainMs), 'ms', '< 1 ms');
  } finally {
    await session.close();
  }
}
