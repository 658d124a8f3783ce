// Python's string and value semantics that huggingface_hub and PyYAML rely on, for bytes-identical output.
import { isYamlMapping, YamlFloat, YamlTimestamp, type YamlValue } from './yaml-value.js';

/** Characters for which Python's `str.isspace()` (and `re`'s `\s`) is true. */
export const PY_WHITESPACE =
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** Python's `str.strip()`: drops leading and trailing {@link PY_WHITESPACE}. */
export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.includes(text[start] as string)) start++;
  while (end > start && PY_WHITESPACE.includes(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's line boundaries include \x1c-\x1e.
const LINE_BOUNDARY = /\r\n|[\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** Python's `str.splitlines()`: splits at every line boundary Python knows; a final boundary adds no empty line. */
export function pySplitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(LINE_BOUNDARY);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Orders strings as Python does: by code point (JavaScript's `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Python's truth value of a YAML value (`if value:`): `NaN` is true, empty strings and collections are false. */
export function pyTruthy(value: YamlValue): boolean {
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof YamlFloat) return value.value !== 0;
  if (value instanceof YamlTimestamp) return true;
  return Object.keys(value).length > 0;
}

/** A number as Python compares it: bools are 0 and 1, ints and floats compare by value. */
function numeric(value: YamlValue): number | bigint | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (value instanceof YamlFloat) return value.value;
  return undefined;
}

/**
 * Python's `==` on YAML values: `1 == 1.0 == True`, NaN equals nothing, lists element-wise, dicts regardless
 * of key order. Timestamps compare by their text (Python compares aware datetimes by instant; no card needs that).
 */
export function pyEquals(a: YamlValue, b: YamlValue): boolean {
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined || y !== undefined) {
    if (x === undefined || y === undefined) return false;
    if (typeof x === 'bigint' || typeof y === 'bigint') {
      const xs = typeof x === 'bigint' ? x : Number.isInteger(x) ? BigInt(x) : undefined;
      const ys = typeof y === 'bigint' ? y : Number.isInteger(y) ? BigInt(y) : undefined;
      return xs !== undefined && xs === ys;
    }
    return x === y;
  }
  if (a === null || b === null || typeof a === 'string' || typeof b === 'string') return a === b;
  if (a instanceof YamlTimestamp || b instanceof YamlTimestamp) {
    return a instanceof YamlTimestamp && b instanceof YamlTimestamp && a.text === b.text;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => pyEquals(item, b[i] as YamlValue));
  }
  if (!isYamlMapping(a) || !isYamlMapping(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && pyEquals(a[k] as YamlValue, b[k] as YamlValue));
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip, in fixed notation for exponents -4 … 15 and
 * scientific notation (`1e+16`, `1.5e-05`) otherwise; `nan`, `inf`, `-inf` for the special values.
 */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest round-tripping digits, as Python's repr does.
  const [mantissa = '', exponent = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
