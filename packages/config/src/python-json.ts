import { ConfigError } from './errors.js';

/** A JSON value as Python's `json` module reads it: integers beyond 2^53 stay exact as `bigint`. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** How Python spelled a number: `int` (`8`) or `float` (`8.0`, `1e+16`). */
export type NumberKind = 'int' | 'float';

/** What {@link parsePythonJson} returns. */
export interface ParsedPythonJson {
  /** The parsed value. */
  value: JsonValue;
  /**
   * For every number with an integral value (the only ones where `JSON.parse` loses the spelling), whether it was
   * written as an int or a float, keyed by JSON pointer (`/lora_alpha`, `/alpha_pattern/v_proj`).
   */
  numberKinds: Map<string, NumberKind>;
}

/** Deepest nesting the parser accepts (Python's default recursion limit is 1000). */
export const MAX_JSON_DEPTH = 1000;

/**
 * Appends one key or index to a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
 *
 * @param pointer - the parent pointer (`""` for the root)
 * @param key - an object key or array index
 * @returns the child pointer
 * @example
 * ```ts
 * childPointer('/alpha_pattern', 'a/b'); // '/alpha_pattern/a~1b'
 * ```
 */
export function childPointer(pointer: string, key: string | number): string {
  return `${pointer}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

/**
 * Parses JSON exactly as Python's `json.loads` does (strict mode): `NaN`, `Infinity` and `-Infinity` are accepted,
 * big integers stay exact, the last of duplicate keys wins, raw control characters in strings are rejected, and
 * the spelling (int or float) of every integral number is recorded.
 *
 * @param text - the JSON text
 * @returns the value and the number spellings
 * @throws {ConfigError} `INVALID_JSON` where Python's parser fails, with the position
 * @example
 * ```ts
 * parsePythonJson('{"a": 8.0}').numberKinds.get('/a'); // 'float'
 * ```
 */
export function parsePythonJson(text: string): ParsedPythonJson {
  const kinds = new Map<string, NumberKind>();
  let pos = 0;

  const fail = (why: string, at = pos): never => {
    const line = text.slice(0, at).split('\n').length;
    throw new ConfigError('INVALID_JSON', `Invalid JSON: ${why} at line ${line}, offset ${at}.`, {
      value: text.slice(at, at + 20),
    });
  };
  const skipWs = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
  };

  const parseString = (): string => {
    const start = pos;
    pos++; // opening quote
    let out = '';
    let chunk = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(chunk, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('invalid control character in string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(chunk, pos);
      const e = text[pos + 1];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (e !== undefined && Object.hasOwn(simple, e)) {
        out += simple[e];
        pos += 2;
      } else if (e === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\uXXXX escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
      } else {
        fail('invalid escape');
      }
      chunk = pos;
    }
  };

  const parseValue = (pointer: string, depth: number): JsonValue => {
    if (depth > MAX_JSON_DEPTH) fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    skipWs();
    const c = text[pos];
    if (c === '{') return parseObject(pointer, depth);
    if (c === '[') return parseArray(pointer, depth);
    if (c === '"') return parseString();
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) return fail('expecting value');
    pos += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const big = BigInt(m[0]);
      const small = Number(big);
      if (Number.isSafeInteger(small)) {
        kinds.set(pointer, 'int');
        return small === 0 ? 0 : small; // Python's int has no -0
      }
      return big;
    }
    const value = Number(m[0]);
    if (Number.isInteger(value)) kinds.set(pointer, 'float');
    return value;
  };

  const parseObject = (pointer: string, depth: number): JsonObject => {
    const obj: JsonObject = {};
    pos++;
    skipWs();
    if (text[pos] === '}') {
      pos++;
      return obj;
    }
    for (;;) {
      skipWs();
      if (text[pos] !== '"') fail('expecting property name enclosed in double quotes');
      const key = parseString();
      skipWs();
      if (text[pos] !== ':') fail("expecting ':' delimiter");
      pos++;
      // defineProperty: a "__proto__" key must become an own property, not the prototype
      Object.defineProperty(obj, key, {
        value: parseValue(childPointer(pointer, key), depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      skipWs();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      if (text[pos] !== ',') fail("expecting ',' delimiter");
      pos++;
    }
  };

  const parseArray = (pointer: string, depth: number): JsonValue[] => {
    const arr: JsonValue[] = [];
    pos++;
    skipWs();
    if (text[pos] === ']') {
      pos++;
      return arr;
    }
    for (;;) {
      arr.push(parseValue(childPointer(pointer, arr.length), depth + 1));
      skipWs();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      if (text[pos] !== ',') fail("expecting ',' delimiter");
      pos++;
    }
  };

  if (text.charCodeAt(0) === 0xfeff) fail('unexpected UTF-8 BOM (Python refuses it too)', 0);
  const value = parseValue('', 0);
  skipWs();
  if (pos !== text.length) fail('extra data');
  return { value, numberKinds: kinds };
}

const LITERALS: readonly (readonly [string, JsonValue])[] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
];
