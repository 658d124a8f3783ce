// `pnpm bench session`: AdapterSession in merged mode on onnxruntime-node (CPU, 1 thread), on the generated tiny
// Llama (fixtures/generated/onnx/llama-lora-all-linear, TorchScript and dynamo exports) and the golden OPT:
// per-forward latency of the base model vs the merged model (median of many runs), adapter load time (read +
// locate + check), and the switch latency of merged mode (re-merge + backend session creation, cache of 1).
// Dynamic mode: per-forward latency with the adapter's tensors fed at run time (Llama: an r=16 adapter, the r=8
// fixture adapter cat-combined with itself) vs the base, and its switch latency (new feeds, same backend session).
// Demo (examples/tiny-chat, GPT-2-style, no-cache export): base vs merged vs dynamic forward on a fixed 24-token
// prompt with the real r=16 LoRA and in-memory r=8 (svd-combined) and r=64 (cat-combined twice) variants.
import { join } from 'node:path';
import { fixturePath, repoRoot } from '@peftjs/test-utils';
import type { AdapterSession, BackendTensor } from '../src/index.js';
import {
  combineAdapters,
  createAdapterSession,
  loadAdapter,
  onnxruntimeNodeBackend,
  readTensorFile,
} from '../src/index.js';

const RUNS = 200;
const WARMUP = 20;
const SWITCHES = 20;
const backend = onnxruntimeNodeBackend({ threads: 1 });

function report(name: string, value: number, unit: string, goal?: string): void {
  console.log(`BENCH ${JSON.stringify({ name, value, unit, ...(goal === undefined ? {} : { goal }) })}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function runMs(
  session: AdapterSession,
  feeds: Record<string, BackendTensor>,
  runs: number,
): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  return median(times);
}

interface BenchCase {
  readonly label: string;
  readonly model: string;
  readonly base: string;
  readonly inputs: string;
  /** Two adapters to switch between. */
  readonly adapters: readonly [string, string];
}

const llama = fixturePath('generated', 'onnx', 'llama-lora-all-linear');
const llamaAdapter = fixturePath('generated', 'merge', 'llama-lora-all-linear', 'adapter');
const opt = fixturePath('golden', 'bases', 'opt');
const weighted = fixturePath('golden', 'cases', 'opt-weighted', 'adapters');
const CASES: BenchCase[] = [
  ...['model.onnx', 'model.dynamo.onnx'].map((file) => ({
    label: `llama all-linear (${file})`,
    model: join(llama, file),
    base: fixturePath('generated', 'merge', 'llama-lora-all-linear', 'base'),
    inputs: join(llama, 'inputs.safetensors'),
    // the same adapter under two names: two active sets, each merged on its own
    adapters: [llamaAdapter, llamaAdapter] as const,
  })),
  ...['model.onnx', 'model.dynamo.onnx'].map((file) => ({
    label: `golden opt (${file})`,
    model: join(opt, file),
    base: opt,
    inputs: join(opt, 'inputs.safetensors'),
    adapters: [join(weighted, 'svd'), join(weighted, 'ties')] as const,
  })),
];

for (const c of CASES) {
  const feeds = await readTensorFile(c.inputs, backend);
  const session = await createAdapterSession({ model: c.model, base: c.base, backend, cacheSize: 1 });
  try {
    const baseMs = await runMs(session, feeds, RUNS);
    let t = performance.now();
    await session.loadAdapter(c.adapters[0], 'a');
    const loadMs = performance.now() - t;
    await session.loadAdapter(c.adapters[1], 'b');
    session.setAdapter('a');
    t = performance.now();
    await session.run(feeds);
    const firstRunMs = performance.now() - t;
    const mergedMs = await runMs(session, feeds, RUNS);
    const switches: number[] = [];
    for (let i = 0; i < SWITCHES; i++) {
      session.setAdapter(i % 2 === 0 ? 'b' : 'a');
      t = performance.now();
      await session.run(feeds);
      switches.push(performance.now() - t - mergedMs);
    }
    report(`${c.label}: base forward`, baseMs * 1000, 'µs');
    report(`${c.label}: merged forward`, mergedMs * 1000, 'µs');
    report(
      `${c.label}: merged / base forward`,
      mergedMs / baseMs,
      '×',
      '≈ 1 (merged mode has no per-run cost)',
    );
    report(`${c.label}: loadAdapter (read, locate, check)`, loadMs, 'ms');
    report(`${c.label}: first run after load (merge + session)`, firstRunMs, 'ms');
    report(`${c.label}: switch (re-merge + session re-creation)`, median(switches), 'ms');
  } finally {
    await session.close();
  }
}

// dynamic mode: the graph is rewritten once per loaded set; switching only changes the feeds
for (const c of CASES) {
  const feeds = await readTensorFile(c.inputs, backend);
  const session = await createAdapterSession({ model: c.model, base: c.base, backend, mode: 'dynamic' });
  const opened = await Promise.all(c.adapters.map((dir) => loadAdapter(dir)));
  try {
    const baseMs = await runMs(session, feeds, RUNS);
    const [a, b] = opened as [
      Awaited<ReturnType<typeof loadAdapter>>,
      Awaited<ReturnType<typeof loadAdapter>>,
    ];
    const isLlama = c.label.startsWith('llama');
    // Llama: r=16 adapters (each fixture adapter cat-combined with itself: ranks add up)
    const wide = async (x: typeof a) =>
      isLlama
        ? combineAdapters({
            adapters: [
              { adapter: x, weight: 1 },
              { adapter: x, weight: 1 },
            ],
            type: 'cat',
          })
        : x;
    await session.addAdapter(await wide(a), 'a');
    await session.addAdapter(await wide(b), 'b');
    session.setAdapter('a');
    let t = performance.now();
    await session.run(feeds);
    const firstRunMs = performance.now() - t;
    const dynamicMs = await runMs(session, feeds, RUNS);
    const switches: number[] = [];
    for (let i = 0; i < SWITCHES; i++) {
      session.setAdapter(i % 2 === 0 ? 'b' : 'a');
      t = performance.now();
      await session.run(feeds);
      switches.push(performance.now() - t);
    }
    const rank = isLlama ? 'r=16' : 'r=4';
    report(`${c.label}: dynamic ${rank} forward`, dynamicMs * 1000, 'µs');
    report(`${c.label}: dynamic ${rank} / base forward`, dynamicMs / baseMs, '×');
    report(`${c.label}: dynamic first run after load (rewrite + session)`, firstRunMs, 'ms');
    report(
      `${c.label}: dynamic run right after a switch (new feeds, same session)`,
      median(switches),
      'ms',
      '≈ dynamic forward ≪ merged switch',
    );
  } finally {
    await session.close();
    for (const x of opened) await x.close();
  }
}

// demo: examples/tiny-chat (no-cache export), the real r=16 LoRA and in-memory r=8 / r=64 variants of it
const demo = join(repoRoot, 'examples', 'tiny-chat');
const demoBase = join(demo, 'tiny-chat-en');
const demoModel = join(demoBase, 'onnx', 'model_no_cache.onnx');
const PROMPT = Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % 640);
const demoInt64 = (values: readonly number[]) =>
  backend.tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
/** Feeds for the fixed prompt, limited to the inputs the model declares. */
function demoFeeds(inputNames: readonly string[]): Record<string, BackendTensor> {
  const all: Record<string, BackendTensor> = {
    input_ids: demoInt64(PROMPT),
    attention_mask: demoInt64(PROMPT.map(() => 1)),
    position_ids: demoInt64(PROMPT.map((_, i) => i)),
  };
  const feeds: Record<string, BackendTensor> = {};
  for (const name of inputNames) {
    const t = all[name];
    if (t === undefined) throw new Error(`demo (tiny-chat): unexpected model input ${name}`);
    feeds[name] = t;
  }
  return feeds;
}
const demoAdapter = await loadAdapter(join(demo, 'tiny-chat-zh-lora'));
const self = (x: typeof demoAdapter, type: 'cat' | 'svd', svdRank?: number) =>
  combineAdapters({
    adapters:
      type === 'cat'
        ? [
            { adapter: x, weight: 1 },
            { adapter: x, weight: 1 },
          ]
        : [{ adapter: x, weight: 1 }],
    type,
    ...(svdRank === undefined ? {} : { svdRank }),
  });
const r32 = await self(demoAdapter, 'cat');
const ranks: [string, typeof demoAdapter][] = [
  ['r=8', await self(demoAdapter, 'svd', 8)],
  ['r=16', demoAdapter],
  ['r=64', await self(r32, 'cat')],
];
const label = 'demo (tiny-chat)';
try {
  for (const mode of ['merged', 'dynamic'] as const) {
    const session = await createAdapterSession({ model: demoModel, base: demoBase, backend, mode });
    try {
      const feeds = demoFeeds(session.inputNames);
      const baseMs = await runMs(session, feeds, RUNS);
      report(
        `${label}: ${mode} session, base forward (${session.inputNames.join(', ')})`,
        baseMs * 1000,
        'µs',
      );
      for (const [rank, adapter] of ranks) {
        await session.addAdapter(adapter, rank);
        session.setAdapter(rank);
        const ms = await runMs(session, feeds, RUNS);
        report(`${label}: ${mode} ${rank} forward`, ms * 1000, 'µs');
        report(
          `${label}: ${mode} ${rank} / base forward`,
          ms / baseMs,
          '×',
          mode === 'merged'
            ? 'merged = base'
            : rank === 'r=16'
              ? 'dynamic within 10 % of base at r=16'
              : undefined,
        );
      }
    } finally {
      await session.close();
    }
  }
} finally {
  await demoAdapter.close();
}
