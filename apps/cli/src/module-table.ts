import type { ModuleSummary } from '@peftjs/runtime-node';
import { count, num, table } from './format.js';

/** Column titles of {@link moduleTable}. */
const HEAD = ['module', 'n', 'kind', 'r', 'alpha', 'scaling', 'in→out', 'params each', 'notes'] as const;

/**
 * The per-module table of `peftjs inspect`: modules whose names differ only in their numeric parts (layer
 * indices) and whose other columns are identical share one row, named with the indices they cover
 * (`model.layers.{0-3}.self_attn.q_proj`) and counted in `n`.
 *
 * @param modules - from `inspectAdapter(adapter).modules`
 * @returns the aligned table
 * @example
 * ```ts
 * console.log(moduleTable(inspectAdapter(adapter).modules));
 * ```
 */
export function moduleTable(modules: readonly ModuleSummary[]): string {
  const groups = new Map<string, { cells: string[]; names: string[][] }>();
  for (const m of modules) {
    const segments = m.module.split('.');
    const pattern = segments.map((s) => (isIndex(s) ? '*' : s)).join('.');
    const cells = moduleCells(m);
    const key = [pattern, ...cells].join('\u0000');
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { cells, names: [segments] });
    else group.names.push(segments);
  }
  const rows = [...groups.values()].map(({ cells, names }) => [
    groupName(names),
    String(names.length),
    ...cells,
  ]);
  return table(HEAD, rows);
}

/** The columns after `module` and `n` for one module. */
function moduleCells(m: ModuleSummary): string[] {
  const notes: string[] = [];
  if (m.initRank !== undefined) notes.push(`init_r ${m.initRank}`);
  if (m.dora) notes.push('DoRA');
  if (m.loraBias) notes.push('lora_B.bias');
  if (m.kind === 'ia3') {
    const [size = 0] = m.features;
    notes.push(m.feedforward ? 'scales input' : 'scales output');
    return ['ia3', '-', '-', '-', String(size), count(m.parameters), notes.join(', ')];
  }
  const [inFeatures = 0, outFeatures = 0] = m.features;
  return [
    m.kind,
    m.rank === undefined ? '-' : String(m.rank),
    m.alpha === undefined ? '-' : num(m.alpha),
    m.scaling === undefined ? '-' : num(m.scaling),
    `${inFeatures}→${outFeatures}`,
    count(m.parameters),
    notes.join(', '),
  ];
}

function isIndex(segment: string): boolean {
  return /^\d+$/.test(segment);
}

/**
 * One name for modules that differ only in numeric segments: each varying index becomes `{0-3,5}` when the group
 * is exactly every combination of those values, else `*`.
 */
function groupName(names: readonly string[][]): string {
  const first = names[0] ?? [];
  if (names.length === 1) return first.join('.');
  const values = first.map((_, i) => [...new Set(names.map((n) => n[i] ?? ''))]);
  const combinations = values.reduce((p, v) => p * v.length, 1);
  return first
    .map((segment, i) => {
      const seen = values[i] ?? [segment];
      if (seen.length === 1) return segment;
      return combinations === names.length ? `{${ranges(seen.map(Number))}}` : '*';
    })
    .join('.');
}

/** `[0, 1, 2, 3, 5]` → `0-3,5`. */
function ranges(numbers: number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0] ?? 0;
  let prev = start;
  for (const n of [...sorted.slice(1), Number.NaN]) {
    if (n === prev + 1) {
      prev = n;
      continue;
    }
    parts.push(start === prev ? String(start) : prev === start + 1 ? `${start},${prev}` : `${start}-${prev}`);
    start = n;
    prev = n;
  }
  return parts.join(',');
}
