/**
 * Character sets and the escapes they share with the rest of a Python pattern (CPython `sre_parse`
 * `_class_escape` and the set loop of `_parse`). @internal
 */

/** Inline flags that change how the pattern is parsed or matched. */
export interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  x: boolean;
  a: boolean;
}

/** Python's shorthand classes. */
export type ClassName = 'd' | 'D' | 'w' | 'W' | 's' | 'S';

/** A member of a character set. */
export type SetItem = { t: 'range'; lo: number; hi: number } | { t: 'class'; cls: ClassName; ascii: boolean };

/** The parser state the set reader works on. */
export interface Cursor {
  peek(k?: number): string | undefined;
  next(): string | undefined;
  eat(s: string): boolean;
  fail(why: string, code?: 'INVALID_REGEX' | 'UNSUPPORTED_REGEX'): never;
  readonly flags: Flags;
}

/** An octal digit. */
export const OCT = /^[0-7]$/;
/** An ASCII digit (Python's DIGITS in the parser). */
export const DIGIT = /^[0-9]$/;
const HEX = /^[0-9a-fA-F]$/;
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

const cp = (c: string): number => c.codePointAt(0) ?? 0;

function readHex(cur: Cursor, n: number, letter: string): number {
  let hex = '';
  while (hex.length < n && HEX.test(cur.peek() ?? '')) hex += cur.next();
  if (hex.length !== n) cur.fail(`incomplete escape \\${letter}${hex}`);
  const value = Number.parseInt(hex, 16);
  if (value > 0x10ffff) cur.fail(`bad escape \\${letter}${hex}`);
  return value;
}

/**
 * Escapes valid both inside and outside sets: shorthand classes, `\a \f \n \r \t \v \\`, `\x` `\u` `\U`.
 *
 * @returns a code point, a class, or undefined for letters the caller handles
 */
export function readCommonEscape(
  cur: Cursor,
  c: string,
): number | { t: 'class'; cls: ClassName; ascii: boolean } | undefined {
  if ('dDwWsS'.includes(c)) return { t: 'class', cls: c as ClassName, ascii: cur.flags.a };
  if (Object.hasOwn(SIMPLE_ESCAPES, c)) return SIMPLE_ESCAPES[c];
  if (c === 'x') return readHex(cur, 2, 'x');
  if (c === 'u') return readHex(cur, 4, 'u');
  if (c === 'U') return readHex(cur, 8, 'U');
  if (c === 'N')
    return cur.fail('named Unicode escapes (\\N{...}) are not supported by peftjs', 'UNSUPPORTED_REGEX');
  return undefined;
}

/** An octal escape of up to three digits, the first already read. */
export function readOctal(cur: Cursor, first: string): number {
  let digits = first;
  while (digits.length < 3 && OCT.test(cur.peek() ?? '')) digits += cur.next();
  const value = Number.parseInt(digits, 8);
  if (value > 0o377) cur.fail(`octal escape value \\${digits} outside of range 0-0o377`);
  return value;
}

function readSetEscape(cur: Cursor): SetItem {
  const c = cur.next();
  if (c === undefined) return cur.fail('bad escape (end of pattern)');
  if (c === 'b') return { t: 'range', lo: 8, hi: 8 };
  const common = readCommonEscape(cur, c);
  if (typeof common === 'number') return { t: 'range', lo: common, hi: common };
  if (common !== undefined) return common;
  if (OCT.test(c)) {
    const v = readOctal(cur, c);
    return { t: 'range', lo: v, hi: v };
  }
  if (DIGIT.test(c) || /^[A-Za-z]$/.test(c)) cur.fail(`bad escape \\${c}`);
  return { t: 'range', lo: cp(c), hi: cp(c) };
}

/**
 * Reads a set after its `[`: `^` negates, `]` first is literal, `-` last is literal, ranges need single characters.
 *
 * @returns the set node
 */
export function readSet(cur: Cursor): { t: 'set'; negated: boolean; items: SetItem[] } {
  const negated = cur.eat('^');
  const items: SetItem[] = [];
  for (;;) {
    const c = cur.next();
    if (c === undefined) return cur.fail('unterminated character set');
    if (c === ']' && items.length > 0) break;
    const first: SetItem = c === '\\' ? readSetEscape(cur) : { t: 'range', lo: cp(c), hi: cp(c) };
    if (!cur.eat('-')) {
      items.push(first);
      continue;
    }
    const c2 = cur.next();
    if (c2 === undefined) return cur.fail('unterminated character set');
    if (c2 === ']') {
      items.push(first, { t: 'range', lo: 45, hi: 45 });
      break;
    }
    const second: SetItem = c2 === '\\' ? readSetEscape(cur) : { t: 'range', lo: cp(c2), hi: cp(c2) };
    if (first.t !== 'range' || second.t !== 'range' || first.lo !== first.hi || second.lo !== second.hi) {
      return cur.fail('bad character range');
    }
    if (second.lo < first.lo) cur.fail('bad character range');
    items.push({ t: 'range', lo: first.lo, hi: second.lo });
  }
  return { t: 'set', negated, items };
}
