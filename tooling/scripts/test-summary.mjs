#!/usr/bin/env node
// Prints one closing line for the whole test run, `N passed, N failed` (+ `, N skipped`), summed over the
// vitest JSON reports every package writes to test-results.json. Exits 1 when no test ran at all or any failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const group of ['packages', 'apps', 'tooling', 'examples']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group).sort()) {
    const file = join(group, name, 'test-results.json');
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const p = report.numPassedTests ?? 0;
    const f = report.numFailedTests ?? 0;
    const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    rows.push([`${group}/${name}`, p, f, s]);
    passed += p;
    failed += f;
    skipped += s;
  }
}
const width = Math.max(8, ...rows.map((r) => r[0].length));
console.log(`\n${'package'.padEnd(width)}  passed  failed  skipped`);
for (const [name, p, f, s] of rows) {
  console.log(
    `${name.padEnd(width)}  ${String(p).padStart(6)}  ${String(f).padStart(6)}  ${String(s).padStart(7)}`,
  );
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
