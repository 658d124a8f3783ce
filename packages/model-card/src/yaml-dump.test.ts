// huggingface_hub's yaml_dump of random values (fixtures/generated/card/dump.json), and the parser on its output.
import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { dumpYaml } from './yaml-dump.js';
import { parseYaml } from './yaml-parse.js';
import { defineEntry, YamlFloat, type YamlMapping, YamlTimestamp, type YamlValue } from './yaml-value.js';

type Tagged =
  | null
  | boolean
  | string
  | Tagged[]
  | { int: string }
  | { float: string }
  | { timestamp: string }
  | { map: [string, Tagged][] };

interface DumpCase {
  value: Tagged;
  yaml: string;
  yaml_crlf?: string;
  /** What PyYAML dumps after reading `yaml` back, where that differs from `yaml`. */
  reloaded?: string;
}

const cases = JSON.parse(readFileSync(fixturePath('generated', 'card', 'dump.json'), 'utf8')) as DumpCase[];

/** The Python value a tagged JSON stands for, as this package holds it. */
function untag(t: Tagged): YamlValue {
  if (t === null || typeof t === 'boolean' || typeof t === 'string') return t;
  if (Array.isArray(t)) return t.map(untag);
  if ('int' in t) {
    const n = BigInt(t.int);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  if ('float' in t) {
    const x =
      t.float === 'nan'
        ? Number.NaN
        : t.float === 'inf'
          ? Infinity
          : t.float === '-inf'
            ? -Infinity
            : Number(t.float);
    return Number.isInteger(x) ? new YamlFloat(x) : x;
  }
  if ('timestamp' in t) return new YamlTimestamp(t.timestamp);
  const map: YamlMapping = {};
  for (const [k, v] of t.map) defineEntry(map, k, untag(v));
  return map;
}

/** Whether every key is one the parser reads back (block keys: non-empty, short, one line). */
function simpleKeys(value: YamlValue): boolean {
  if (Array.isArray(value)) return value.every(simpleKeys);
  if (
    value === null ||
    typeof value !== 'object' ||
    value instanceof YamlFloat ||
    value instanceof YamlTimestamp
  ) {
    return true;
  }
  return Object.entries(value).every(
    ([k, v]) => k !== '' && Array.from(k).length < 123 && !/[\n\x85\u2028\u2029]/.test(k) && simpleKeys(v),
  );
}

describe('dumpYaml (yaml.dump, sort_keys=False, allow_unicode=True)', () => {
  it('has the special cases and 200 random ones', () => {
    expect(cases.length).toBe(208);
    expect(cases.filter((c) => c.yaml_crlf !== undefined).length).toBe(200);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i: same text as PyYAML', (_i, c) => {
    const value = untag(c.value);
    expect(dumpYaml(value)).toBe(c.yaml);
    if (c.yaml_crlf !== undefined) expect(dumpYaml(value, '\r\n')).toBe(c.yaml_crlf);
  });

  it.each(cases.map((c, i) => [i, c] as const).filter(([, c]) => simpleKeys(untag(c.value))))(
    'case %i: parseYaml reads PyYAML output as yaml.safe_load does',
    (_i, c) => {
      const parsed = parseYaml(c.yaml);
      // Compared through the dump, which spells every value (NaN never equals itself).
      expect(dumpYaml(parsed)).toBe(c.reloaded ?? c.yaml);
      if (c.yaml_crlf !== undefined) expect(dumpYaml(parseYaml(c.yaml_crlf))).toBe(c.reloaded ?? c.yaml);
      if (c.reloaded === undefined) expect(parsed).toEqual(untag(c.value));
    },
  );

  it.each(cases.map((c, i) => [i, c] as const).filter(([, c]) => !simpleKeys(untag(c.value))))(
    'case %i: `? key` entries are refused as unsupported',
    (_i, c) => {
      expect(() => parseYaml(c.yaml)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_YAML' }));
    },
  );
});
