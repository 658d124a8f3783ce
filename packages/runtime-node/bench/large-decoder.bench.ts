// `pnpm bench large-decoder`: AdapterSession on a decoder of realistic size: 8 layers, hidden 1024, MLP 2816,
// vocabulary 1024 (103 M f32 parameters, 400 MiB), with LoRA adapters of r = 8, 16, 64 on all 7 projections of every
// layer (B non-zero). The model is the fixture generator's when `fixtures/large/large-decoder` exists (a random-init
// transformers LlamaForCausalLM exported by torch, adapters saved by PEFT, and PEFT's logits, which every output is
// checked against: max |Δ| ≤ 1e-4, else the script exits 1); otherwise a Llama-like decoder of the same sizes is
// built in memory (see large-decoder/decoder-source.ts), where only dynamic is checked against merged.
// Batch 1, a 32-token prefill, onnxruntime-node's default thread count, median of a few warm runs.
// Measured: base, merged (r=16) and dynamic (r=8/16/64) forwards; the switch cost in dynamic mode (setAdapter +
// one run, minus a plain run) vs merged mode (re-merge + backend session re-creation) vs a new session from
// scratch; the adapter load time (getting the adapter + addAdapter, which locates and checks every target).
import { AdapterSession, onnxruntimeNodeBackend, tensorToFloat32 } from '../src/index.js';
import { type LoraName, openDecoderSource, SEQ, SHAPE } from './large-decoder/decoder-source.js';

const WARMUP = 2;
const RUNS = 15;
const SWITCHES = 16;
const backend = onnxruntimeNodeBackend();
/** Largest |Δ| allowed between our logits and PEFT's. */
const PEFT_TOLERANCE = 1e-4;

function report(name: string, value: number | string, unit: string, goal?: string): void {
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

async function logits(session: AdapterSession): Promise<Float32Array> {
  const out = (await session.run(feeds)).logits;
  if (out === undefined) throw new Error('the decoder has no logits output');
  return tensorToFloat32(out);
}

/** Reports max |got − PEFT's logits for `key`| when the source has PEFT's logits; fails the script above 1e-4. */
function checkPeft(what: string, got: Float32Array, key: 'base' | LoraName): void {
  if (source.expected === undefined) return;
  const want = source.expected.get(key);
  if (want === undefined) throw new Error(`expected.safetensors has no logits_${key}`);
  const diff = maxAbsDiff(got, want);
  report(`max |${what} − PEFT| logits`, diff, '', `≤ ${PEFT_TOLERANCE}`);
  if (!(diff <= PEFT_TOLERANCE)) {
    console.error(`MISMATCH: ${what} differs from PEFT's logits by ${diff} (> ${PEFT_TOLERANCE})`);
    process.exitCode = 1;
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`logits length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

async function runMs(session: AdapterSession): Promise<number> {
  return (await timed(() => session.run(feeds)))[1];
}

/**
 * Forward latency of `session` and of the base session, measured in alternation so that load from other processes
 * hits both alike: `[median ms, median of the per-pair ratios to the base]`.
 */
async function forwardMs(session: AdapterSession): Promise<[number, number]> {
  for (let i = 0; i < WARMUP; i++) {
    await session.run(feeds);
    await base.run(feeds);
  }
  const times: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const own = await runMs(session);
    const ref = await runMs(base);
    times.push(own);
    ratios.push(own / ref);
    baseTimes.push(ref);
  }
  return [median(times), median(ratios)];
}

/**
 * Switch cost: (setAdapter to the other adapter + one run) alternating with a plain run of the same session;
 * `[median difference ms, median setAdapter call µs]`.
 */
async function switchMs(session: AdapterSession): Promise<[number, number]> {
  const deltas: number[] = [];
  const calls: number[] = [];
  for (let i = 0; i < SWITCHES; i++) {
    const plain = await runMs(session);
    const t = performance.now();
    session.setAdapter(i % 2 === 0 ? 'b' : 'a');
    calls.push((performance.now() - t) * 1000);
    await session.run(feeds);
    deltas.push(performance.now() - t - plain);
  }
  return [median(deltas), median(calls)];
}

const source = await openDecoderSource(backend);
const { feeds, model } = source;
const weightBytes = model.externalData.reduce((n, f) => n + f.data.byteLength, 0);
console.log(`decoder: ${source.description}`);
report('decoder used', source.expected === undefined ? 'built in JS' : 'generated (transformers + PEFT)', '');
console.log(
  `decoder: ${SHAPE.layers} layers, hidden ${SHAPE.hidden}, ${(weightBytes / 2 ** 20).toFixed(0)} MiB`,
);
report(
  source.expected === undefined ? 'build the decoder in memory (JS)' : 'read the generated decoder',
  source.prepareMs,
  'ms',
);
const lora = (name: LoraName) => source.lora(name);
const open = (mode: 'merged' | 'dynamic') => AdapterSession.create({ backend, model, mode, cacheSize: 1 });

// the base model: a session without adapters, run in alternation with every other measurement
const base = await open('merged');
const baseTimes: number[] = [];
try {
  for (let i = 0; i < WARMUP; i++) await base.run(feeds);
  for (let i = 0; i < RUNS; i++) baseTimes.push(await runMs(base));
  const baseLogits = await logits(base);
  checkPeft('base', baseLogits, 'base');
  let mergedLogits = baseLogits;

  // merged mode: adapter load, merged forward, switch (re-merge + session re-creation)
  const merged = await open('merged');
  try {
    const [, loadMs] = await timed(async () => merged.addAdapter(await lora('r16a'), 'a'));
    report(`adapter load r=16 (${source.loadLabel})`, loadMs, 'ms');
    await merged.addAdapter(await lora('r16b'), 'b');
    merged.setAdapter('a');
    const [, firstMs] = await timed(() => merged.run(feeds));
    report('merged: first run after load r=16 (merge + session)', firstMs, 'ms');
    const [mergedMs, ratio] = await forwardMs(merged);
    report('merged forward r=16', mergedMs, 'ms');
    merged.setAdapter('a');
    mergedLogits = await logits(merged);
    checkPeft('merged r=16', mergedLogits, 'r16a');
    report(
      'max |merged − base| logits r=16 (the adapter changes the output)',
      maxAbsDiff(mergedLogits, baseLogits),
      '',
    );
    report('merged / base forward r=16', ratio, '×', '= 1');
    const [switchCost] = await switchMs(merged);
    report('merged: switch (setAdapter + re-merge + session re-creation)', switchCost, 'ms');
    merged.setAdapter('b');
    checkPeft('merged r=16 after switching to the second adapter', await logits(merged), 'r16b');
  } finally {
    await merged.close();
  }

  // a new session from scratch: create + addAdapter + first run (merged mode)
  const [, scratchMs] = await timed(async () => {
    const fresh = await open('merged');
    try {
      await fresh.addAdapter(await lora('r16a'), 'a');
      await fresh.run(feeds);
    } finally {
      await fresh.close();
    }
  });
  report('new session from scratch r=16 (create + addAdapter + first run)', scratchMs, 'ms');

  // dynamic mode: one session per rank, with only that adapter loaded
  for (const name of ['r8', 'r16a', 'r64'] as const) {
    const rank = name.replace(/\D/g, '');
    const session = await open('dynamic');
    try {
      await session.addAdapter(await lora(name), 'a');
      const [, firstMs] = await timed(() => session.run(feeds));
      report(`dynamic: first run after load r=${rank} (rewrite + session)`, firstMs, 'ms');
      const [ms, ratio] = await forwardMs(session);
      report(`dynamic forward r=${rank}`, ms, 'ms');
      const dynamicLogits = await logits(session);
      checkPeft(`dynamic r=${rank}`, dynamicLogits, name);
      if (rank === '16') {
        const diff = maxAbsDiff(dynamicLogits, mergedLogits);
        report('max |dynamic − merged| logits r=16', diff, '', '< 1e-4');
      }
      const goal = rank === '16' ? '≤ 1.10 (within 10 % of base)' : undefined;
      report(`dynamic / base forward r=${rank}`, ratio, '×', goal);
      if (rank !== '16') continue;
      // switching: two r=16 adapters loaded (the model is rebuilt with both adapters' branches)
      await session.addAdapter(await lora('r16b'), 'b');
      session.setAdapter('a');
      await session.run(feeds);
      const [twoMs, twoRatio] = await forwardMs(session);
      report('dynamic forward r=16 with 2 adapters loaded', twoMs, 'ms');
      report('dynamic / base forward r=16 with 2 adapters loaded', twoRatio, '×');
      const [switchCost, callUs] = await switchMs(session);
      report('dynamic: switch (setAdapter + run − plain run)', switchCost, 'ms', '< 1 ms');
      report('dynamic: setAdapter call alone', callUs, 'µs');
      session.setAdapter('b');
      checkPeft('dynamic r=16, second of 2 adapters loaded', await logits(session), 'r16b');
    } finally {
      await session.close();
    }
  }
  report(`base forward (batch 1, seq ${SEQ})`, median(baseTimes), 'ms');
} finally {
  await base.close();
  await source.close();
}
