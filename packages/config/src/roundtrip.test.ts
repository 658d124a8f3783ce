/**
 * Data-driven checks against files written by real PEFT 0.21: golden cases and fixtures/generated/config
 * (made by tooling/fixtures/gen_config.py).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { parseAdapterConfig } from './parse-adapter-config.js';
import { childPointer, type JsonObject, parsePythonJson } from './python-json.js';
import { dumpPythonJson } from './python-json-dump.js';
import { serializeAdapterConfig, toPeftDict } from './serialize-adapter-config.js';
import { type AdapterConfig, PYTHON_JSON } from './types.js';

function findConfigs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return findConfigs(path);
      return entry === 'adapter_config.json' ? [path] : [];
    });
}

const golden = findConfigs(fixturePath('golden', 'cases'));
const generated = findConfigs(fixturePath('generated', 'config', 'roundtrip'));
const generatedDir = fixturePath('generated', 'config');

/**
 * Re-dumps part of a Python-written JSON file with its own number spellings, as `json.dumps(indent=2,
 * sort_keys=True)` would: the oracle side of a comparison.
 */
function pythonDump(text: string, ...path: string[]): string {
  const { value, numberKinds } = parsePythonJson(text);
  let node = value;
  let prefix = '';
  for (const key of path) {
    node = (node as JsonObject)[key] ?? null;
    prefix = childPointer(prefix, key);
  }
  expect(node).not.toBeNull();
  return dumpPythonJson(node, { numberKind: (p) => numberKinds.get(prefix + p) ?? 'int' });
}

/** The fields PEFT holds as sets; fixtures list them sorted. */
const SET_FIELDS = ['target_modules', 'exclude_modules', 'feedforward_modules'];

function withSortedSets(config: AdapterConfig): AdapterConfig {
  const copy: Record<string, unknown> = { ...config };
  for (const f of SET_FIELDS) if (Array.isArray(copy[f])) copy[f] = [...(copy[f] as string[])].sort();
  return copy as unknown as AdapterConfig;
}

describe('round trip of files PEFT 0.21 wrote', () => {
  it('finds the golden cases, including every opt-weighted adapter', () => {
    expect(golden.length).toBeGreaterThanOrEqual(15);
    expect(golden.filter((f) => f.includes('opt-weighted/adapters/')).length).toBeGreaterThanOrEqual(9);
  });

  it('finds the golden and generated round-trip cases', () => {
    expect(golden.length).toBeGreaterThan(0);
    expect(generated.length).toBeGreaterThan(0);
  });

  it.each([...golden, ...generated].map((f) => [relative(fixturePath(), f), f]))(
    '%s parses without warnings and is written back byte for byte',
    (_name, file) => {
      const text = readFileSync(file, 'utf8');
      const { config, warnings } = parseAdapterConfig(text);
      expect(warnings).toEqual([]);
      expect(serializeAdapterConfig(config)).toBe(text);
    },
  );
});

describe("PEFT 0.21's defaults (fixtures/generated/config/defaults.json)", () => {
  const text = readFileSync(join(generatedDir, 'defaults.json'), 'utf8');

  it.each(['LORA', 'IA3', 'ADALORA'])(
    'a %s config with no arguments is written as PEFT writes it',
    (type) => {
      // PEFT refuses AdaLoRA without total_step, so the fixture used total_step=1; so do we.
      const args = type === 'ADALORA' ? { peft_type: type, total_step: 1 } : { peft_type: type };
      const { config } = parseAdapterConfig(args);
      expect(serializeAdapterConfig(config)).toBe(pythonDump(text, type));
    },
  );
});

interface OldVersionExpectation {
  loaded?: JsonObject;
  peft_error?: string;
  warnings: string[];
}

const oldDir = join(generatedDir, 'old-versions');
const oldCases = existsSync(oldDir) ? readdirSync(oldDir).sort() : [];

describe('configs written by older PEFT versions (fixtures/generated/config/old-versions)', () => {
  it('finds the cases', () => {
    expect(oldCases.length).toBeGreaterThan(0);
  });

  it.each(oldCases)('%s loads into what PEFT 0.21 holds', (name) => {
    const input = readFileSync(join(oldDir, name, 'adapter_config.json'), 'utf8');
    const expectedText = readFileSync(join(oldDir, name, 'expected.json'), 'utf8');
    const expected = parsePythonJson(expectedText).value as unknown as OldVersionExpectation;
    const { config, warnings } = parseAdapterConfig(input);
    const codes = warnings.map((w) => w.code);

    if (expected.peft_error !== undefined) {
      // PEFT 0.21 refuses AdaLoRA files with total_step null; peftjs loads them with a warning.
      expect(expected.peft_error).toMatch(/total_step/);
      expect(codes).toEqual(['TOTAL_STEP_NULL']);
      expect(config.peft_type).toBe('ADALORA');
      const file = JSON.parse(input) as JsonObject;
      const dict = toPeftDict(config);
      for (const [k, v] of Object.entries(file)) expect(dict[k], k).toEqual(v);
      return;
    }
    expect(expected.loaded).toBeDefined();
    // Keys PEFT 0.21 dropped are the ones peftjs keeps (and reports, sorted, as PEFT does).
    const peftUnknown = expected.warnings.flatMap((w) => {
      const m = /^Unexpected keyword arguments (\[.*?\])/.exec(w);
      return m?.[1] === undefined ? [] : (JSON.parse(m[1].replaceAll("'", '"')) as string[]);
    });
    const ours = warnings.find((w) => w.code === 'UNKNOWN_FIELDS')?.fields ?? [];
    expect(ours).toEqual(peftUnknown);
    expect(warnings.length).toBe(expected.warnings.length);

    const sorted = withSortedSets(config);
    const extras = config[PYTHON_JSON];
    const known =
      extras === undefined ? sorted : { ...sorted, [PYTHON_JSON]: { ...extras, unknownFields: {} } };
    expect(serializeAdapterConfig(known)).toBe(pythonDump(expectedText, 'loaded'));
  });
});
