import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePythonJson } from './python-json.js';
import { compareCodePoints, dumpPythonJson, pythonFloatRepr } from './python-json-dump.js';

// Made by test/oracle/json_oracle.py with CPython's own repr() and json.dumps().
const oracle = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test/fixtures/python-json-oracle.json', import.meta.url)), 'utf8'),
) as { json_floats: [string, string][]; dumps: [string, string][]; invalid: string[] };

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('pythonFloatRepr', () => {
  it('spells every double as Python json.dumps does', () => {
    expect(oracle.json_floats.length).toBeGreaterThan(1000);
    const wrong = oracle.json_floats.filter(([bits, py]) => pythonFloatRepr(fromBits(bits)) !== py);
    expect(wrong).toEqual([]);
  });

  it('covers the spellings PEFT files contain', () => {
    expect([0, 8, 0.05, 1e-5, 1e16, 22.627416997969522, -0].map(pythonFloatRepr)).toEqual([
      '0.0',
      '8.0',
      '0.05',
      '1e-05',
      '1e+16',
      '22.627416997969522',
      '-0.0',
    ]);
  });
});

describe('parsePythonJson + dumpPythonJson', () => {
  const kindsDump = (text: string): string => {
    const parsed = parsePythonJson(text);
    return dumpPythonJson(parsed.value, { numberKind: (p) => parsed.numberKinds.get(p) ?? 'int' });
  };

  it('reproduces json.dumps(json.loads(text), indent=2, sort_keys=True) byte for byte', () => {
    expect(oracle.dumps.length).toBeGreaterThan(5);
    for (const [text, py] of oracle.dumps) expect(kindsDump(text), text).toBe(py);
  });

  it('rejects what json.loads rejects', () => {
    expect(oracle.invalid.length).toBeGreaterThan(10);
    for (const text of oracle.invalid) {
      expect(() => parsePythonJson(text), JSON.stringify(text)).toThrow(
        expect.objectContaining({ code: 'INVALID_JSON' }),
      );
    }
  });

  it('records the spelling of integral numbers by JSON pointer', () => {
    const { value, numberKinds } = parsePythonJson('{"a": 8.0, "b": [1, 2.5, 1e16], "c/d": {"~": 0}}');
    expect(value).toEqual({ a: 8, b: [1, 2.5, 1e16], 'c/d': { '~': 0 } });
    expect(Object.fromEntries(numberKinds)).toEqual({
      '/a': 'float',
      '/b/0': 'int',
      '/b/2': 'float',
      '/c~1d/~0': 'int',
    });
  });

  it('keeps big integers exact and a "__proto__" key as data', () => {
    const { value } = parsePythonJson('{"__proto__": {"x": 1}, "n": 123456789012345678901}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value as object)).toEqual(['__proto__', 'n']);
    expect((value as Record<string, unknown>).n).toBe(123456789012345678901n);
  });

  it('refuses nesting deeper than Python can parse', () => {
    expect(() => parsePythonJson(`${'['.repeat(1200)}${']'.repeat(1200)}`)).toThrow(/nested deeper/);
  });
});

describe('compareCodePoints', () => {
  it('orders astral characters after U+FFFF, unlike UTF-16 order', () => {
    expect(['\u{1F600}', '\uffff', 'a'].sort(compareCodePoints)).toEqual(['a', '\uffff', '\u{1F600}']);
    expect(['\u{1F600}', '\uffff'].sort()).toEqual(['\u{1F600}', '\uffff']);
  });
});
