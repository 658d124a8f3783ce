import { existsSync } from 'node:fs';
import type { SessionMode } from '@peftjs/runtime-node';
import { existingDirectory } from '../args.js';
import { UsageError } from '../io.js';

/** `[name=]dir` → name and folder (the name defaults to transformers' "default"). */
export function adapterFlag(value: string): { name: string | undefined; dir: string } {
  const eq = value.indexOf('=');
  // `name=dir`, unless the whole value is an existing folder whose name contains '='
  if (eq > 0 && !existsSync(value)) return { name: value.slice(0, eq), dir: value.slice(eq + 1) };
  return { name: undefined, dir: value };
}

/** The adapters to load, named; unnamed ones are allowed only alone (`--adapter` of forward, generate, chat). */
export function adapterList(values: readonly string[]): { name: string; dir: string }[] {
  const list = values.map(adapterFlag);
  if (list.length > 1 && list.some((a) => a.name === undefined)) {
    throw new UsageError('name every --adapter (name=<dir>) when loading several');
  }
  const out = list.map(({ name, dir }) => ({
    name: name ?? 'default',
    dir: existingDirectory(dir, '--adapter folder'),
  }));
  const names = out.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`--adapter name '${twice}' is given twice`);
  return out;
}

/** `--mode merged|dynamic`, or `fallback` when absent. */
export function modeFlag(value: unknown, fallback: SessionMode): SessionMode {
  if (value === undefined) return fallback;
  if (value === 'merged' || value === 'dynamic') return value;
  throw new UsageError(`--mode must be merged or dynamic, got '${String(value)}'`);
}
