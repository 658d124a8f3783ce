import { ConfigError, show } from './errors.js';
import { childPointer, type JsonValue, type NumberKind } from './python-json.js';

/**
 * Formats a double exactly as Python's `repr(float)` (and therefore `json.dumps`) does: shortest round-trip
 * digits, always a fraction or an exponent (`8.0`, `0.05`, `1e-05`, `1e+16`), exponent form below 1e-4 and from
 * 1e16 on, and `NaN` / `Infinity` / `-Infinity` for the non-finite values.
 *
 * @param x - the number
 * @returns Python's spelling
 * @example
 * ```ts
 * pythonFloatRepr(1e-5); // '1e-05'
 * ```
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument yields the shortest digits that round-trip, as Python's repr does.
  const [mantissa = '', exponent = ''] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Options of {@link dumpPythonJson}. */
export interface DumpPythonJsonOptions {
  /**
   * How an integral-valued number at a JSON pointer is spelled (non-integral and non-finite numbers are always
   * floats, `bigint`s always ints). Defaults to `'int'`.
   */
  numberKind?: (pointer: string, value: number) => NumberKind;
  /** Escape every non-ASCII character as `\uXXXX`, as Python's default `ensure_ascii=True`. @defaultValue true */
  ensureAscii?: boolean;
}

/** Compares two strings by code point, as Python sorts `str` (JS's default sort compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // The first differing unit decides; comparing whole code points there puts astral characters (surrogate
    // pairs) above U+E000..U+FFFF, as Python does.
    return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y);
  }
  return a.length - b.length;
}

const SHORT_ESCAPES: Record<number, string> = {
  34: '\\"',
  92: '\\\\',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  8: '\\b',
  12: '\\f',
};

/** Quotes a string as Python's `json` encoder does. @internal */
export function pythonJsonString(s: string, ensureAscii = true): string {
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const plain = ensureAscii
      ? c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c
      : c >= 0x20 && c !== 0x22 && c !== 0x5c;
    if (plain) continue;
    out += s.slice(chunk, i);
    out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    chunk = i + 1;
  }
  return `${out}${s.slice(chunk)}"`;
}

/**
 * Serializes a value byte-for-byte as Python's `json.dumps(value, indent=2, sort_keys=True)` does: keys sorted
 * by code point at every level, two-space indent, `", "` → `","` + newline, Python float spelling, `\uXXXX`
 * escapes (lowercase hex, surrogate pairs), no trailing newline.
 *
 * @param value - the value; numbers are spelled by `options.numberKind`
 * @param options - number spelling and `ensureAscii`
 * @returns the JSON text
 * @throws {ConfigError} `INVALID_TYPE` for a value JSON cannot hold (undefined, a function, a symbol)
 * @example
 * ```ts
 * dumpPythonJson({ b: 0.5, a: [] }); // '{\n  "a": [],\n  "b": 0.5\n}'
 * ```
 */
export function dumpPythonJson(value: JsonValue, options: DumpPythonJsonOptions = {}): string {
  const kindOf = options.numberKind ?? (() => 'int');
  const ascii = options.ensureAscii ?? true;
  const write = (v: unknown, pointer: string, indent: string): string => {
    if (v === null) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'string') return pythonJsonString(v, ascii);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      if (Number.isInteger(v) && kindOf(pointer, v) === 'int') return BigInt(v).toString();
      return pythonFloatRepr(v);
    }
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const items = v.map((item, i) => `${inner}${write(item, childPointer(pointer, i), inner)}`);
      return `[\n${items.join(',\n')}\n${indent}]`;
    }
    if (typeof v === 'object') {
      const keys = Object.keys(v).sort(compareCodePoints);
      if (keys.length === 0) return '{}';
      const record = v as Record<string, unknown>;
      const items = keys.map(
        (k) => `${inner}${pythonJsonString(k, ascii)}: ${write(record[k], childPointer(pointer, k), inner)}`,
      );
      return `{\n${items.join(',\n')}\n${indent}}`;
    }
    throw new ConfigError('INVALID_TYPE', `Cannot serialize ${typeof v} at ${pointer || '/'}: ${show(v)}.`, {
      field: pointer,
      value: v,
    });
  };
  return write(value, '', '');
}
