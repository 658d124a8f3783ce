#!/usr/bin/env node
// `pnpm bench`: runs every `bench/*.bench.ts` of every package and app and prints one table.
// A bench script reports by printing lines `BENCH {"name": ..., "value": ..., "unit": ..., "goal"?: ...}`;
// everything else it prints is shown as it goes. Benchmarks print numbers; they never fail a test run.
// `pnpm bench <filter>` runs only the scripts whose path contains <filter>.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const filter = process.argv[2] ?? '';
const scripts = [];
for (const group of ['packages', 'apps']) {
  if (!existsSync(group)) continue;
  for (const pkg of readdirSync(group).sort()) {
    const dir = join(group, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.bench.ts') && join(dir, f).includes(filter)) scripts.push(join(dir, f));
    }
  }
}
const rows = [];
for (const script of scripts) {
  console.log(`\n▶ ${script}`);
  const run = spawnSync('node', ['--conditions=@peftjs/source', '--import', 'tsx', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const line of (run.stdout ?? '').split('\n')) {
    if (line.startsWith('BENCH ')) rows.push({ script, ...JSON.parse(line.slice(6)) });
    else if (line.trim()) console.log(`  ${line}`);
  }
  if (run.status !== 0) rows.push({ script, name: '(script failed)', value: run.status, unit: 'exit code' });
}
const fmt = (v) =>
  typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v);
const table = rows.map((r) => [
  r.script.split('/')[1],
  r.name,
  `${fmt(r.value)} ${r.unit ?? ''}`.trim(),
  r.goal ?? '',
]);
const head = ['package', 'benchmark', 'result', 'goal'];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const r of table) console.log(line(r));
if (scripts.length === 0) console.log('(no bench scripts found)');
