import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilePythonRegex, type PythonMatch } from './python-regex.js';

// Made by test/oracle/regex_oracle.py with CPython's own re.match / re.fullmatch.
interface OracleCase {
  pattern: string;
  error?: string;
  unsupported?: boolean;
  match?: ((string | null)[] | null)[];
  fullmatch?: ((string | null)[] | null)[];
}
const oracle = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test/fixtures/python-regex-oracle.json', import.meta.url)), 'utf8'),
) as { subjects: string[]; cases: OracleCase[] };

function groups(m: PythonMatch | null, count: number): (string | null)[] | null {
  if (m === null) return null;
  return Array.from({ length: count }, (_, i) => m.group(i) ?? null);
}

describe('compilePythonRegex against CPython re', () => {
  it('has oracle cases', () => {
    expect(oracle.cases.length).toBeGreaterThan(100);
  });

  const valid = oracle.cases.filter((c) => c.error === undefined && c.unsupported !== true);
  it.each(valid.map((c) => [c.pattern, c]))('%s matches as in Python', (_p, c) => {
    const rx = compilePythonRegex(c.pattern);
    oracle.subjects.forEach((s, i) => {
      const py = c.match?.[i] ?? null;
      const count = py?.length ?? 1;
      expect(groups(rx.match(s), count), `match(${JSON.stringify(s)})`).toEqual(py);
      const pyFull = c.fullmatch?.[i] ?? null;
      expect(groups(rx.fullmatch(s), pyFull?.length ?? 1), `fullmatch(${JSON.stringify(s)})`).toEqual(pyFull);
    });
  });

  const invalid = oracle.cases.filter((c) => c.error !== undefined && c.unsupported !== true);
  it.each(invalid.map((c) => [c.pattern, c.error]))('%s is rejected as Python rejects it (%s)', (pattern) => {
    expect(() => compilePythonRegex(pattern)).toThrow(expect.objectContaining({ code: 'INVALID_REGEX' }));
  });

  const unsupported = oracle.cases.filter((c) => c.unsupported === true);
  it.each(unsupported.map((c) => [c.pattern]))('%s is refused as unsupported', (pattern) => {
    expect(() => compilePythonRegex(pattern)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_REGEX' }));
  });

  it('names the config field in errors', () => {
    expect(() => compilePythonRegex('(', 'target_modules')).toThrow(
      expect.objectContaining({ code: 'INVALID_REGEX', field: 'target_modules' }),
    );
  });
});
