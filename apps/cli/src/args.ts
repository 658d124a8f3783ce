import { statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs with the CLI's rules: unknown flags and missing values are usage errors. */
export function parseFlags<T extends Options>(
  args: string[],
  options: T,
  usage: string,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message}\n${usage}`);
  }
}

/** A required string flag, or a usage error naming it. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** An optional number flag; a usage error if it is not a finite number. */
export function optionalNumber(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number, got '${String(v)}'`);
  }
  return n;
}

/** A flag or argument naming a folder that must exist; a usage error naming the flag and the path otherwise. */
export function existingDirectory(path: string, what: string): string {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`${what} '${path}' does not exist`);
  }
  if (!isDirectory) throw new UsageError(`${what} '${path}' is not a folder`);
  return path;
}

/** A comma-separated list of finite numbers (`0.7,0.5`); a usage error naming the flag and the bad item. */
export function numberList(value: string, name: string): number[] {
  return value.split(',').map((item) => {
    const n = Number(item);
    if (item.trim() === '' || !Number.isFinite(n)) {
      throw new UsageError(`--${name} must be comma-separated finite numbers, got '${item}' in '${value}'`);
    }
    return n;
  });
}

/** An optional integer flag within `[min, Number.MAX_SAFE_INTEGER]`; a usage error otherwise. */
export function optionalInteger(
  values: Record<string, unknown>,
  name: string,
  min: number,
): number | undefined {
  const n = optionalNumber(values, name);
  if (n !== undefined && (!Number.isSafeInteger(n) || n < min)) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${String(values[name])}'`);
  }
  return n;
}
