/**
 * A parser for Python `re` patterns (CPython 3.11+ `sre_parse` rules: octal vs group-reference escapes, `]` first
 * in a set, `{` as a literal unless it forms a quantifier, `{,n}`, global and scoped inline flags, verbose mode,
 * possessive quantifiers and atomic groups), producing a small AST that python-regex.ts turns into a JS RegExp.
 * @internal
 */
import { ConfigError, show } from './errors.js';
import {
  type ClassName,
  type Cursor,
  DIGIT,
  type Flags,
  OCT,
  readCommonEscape,
  readOctal,
  readSet,
  type SetItem,
} from './python-regex-set.js';

export type { ClassName, Flags, SetItem } from './python-regex-set.js';

/** A node of the pattern. */
export type Node =
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'char'; cp: number }
  | { t: 'any'; dotall: boolean }
  | { t: 'set'; negated: boolean; items: SetItem[] }
  | { t: 'class'; cls: ClassName; ascii: boolean }
  | {
      t: 'assert';
      kind: 'bol' | 'eol' | 'start' | 'end' | 'wordb' | 'nonwordb';
      multiline: boolean;
      ascii: boolean;
    }
  | { t: 'group'; index: number | null; name: string | null; body: Node }
  | { t: 'look'; behind: boolean; negative: boolean; body: Node }
  | { t: 'atomic'; body: Node }
  | { t: 'repeat'; body: Node; min: number; max: number; lazy: boolean; possessive: boolean }
  | { t: 'backref'; index: number };

/** A parsed pattern. */
export interface ParsedPattern {
  root: Node;
  /** The global case-insensitive flag (the only flag the JS RegExp itself carries). */
  ignoreCase: boolean;
  groupCount: number;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\v', '\f']);
/** Python's MAXREPEAT: the largest repeat count `re` accepts. */
const MAX_REPEAT = 4294967295;

/**
 * Parses a Python regular expression.
 *
 * @param pattern - the pattern, as Python source text would hold it
 * @returns the AST
 * @throws {ConfigError} `INVALID_REGEX` where Python's `re.compile` fails; `UNSUPPORTED_REGEX` for conditionals,
 *   `\N{…}` and scoped case-insensitivity, which JS regular expressions cannot express
 */
export function parsePythonPattern(pattern: string): ParsedPattern {
  const cps = Array.from(pattern);
  let pos = 0;
  const flags: Flags = { i: false, s: false, m: false, x: false, a: false };
  let globalI = false;
  let groupCount = 0;
  const names = new Map<string, number>();
  const open = new Set<number>();
  let atStart = true;

  const fail = (why: string, code: 'INVALID_REGEX' | 'UNSUPPORTED_REGEX' = 'INVALID_REGEX'): never => {
    throw new ConfigError(
      code,
      `${code === 'INVALID_REGEX' ? 'Invalid' : 'Unsupported'} Python regex ${show(pattern)}: ${why} at position ${pos}.`,
      {
        value: pattern,
      },
    );
  };
  const peek = (k = 0): string | undefined => cps[pos + k];
  const next = (): string | undefined => cps[pos++];
  const eat = (s: string): boolean => {
    if (peek() !== s) return false;
    pos++;
    return true;
  };
  const cp = (c: string): number => c.codePointAt(0) ?? 0;

  const skipVerbose = (): void => {
    while (flags.x && pos < cps.length) {
      const c = peek() as string;
      if (WHITESPACE.has(c)) pos++;
      else if (c === '#') while (pos < cps.length && next() !== '\n');
      else break;
    }
  };

  const cursor: Cursor = { peek, next, eat, fail, flags };
  const commonEscape = (c: string) => readCommonEscape(cursor, c);
  const octal = (first: string) => readOctal(cursor, first);
  const parseSet = (): Node => readSet(cursor);

  const parseEscape = (): Node => {
    const c = next();
    if (c === undefined) return fail('bad escape (end of pattern)');
    const assertKinds: Record<string, 'start' | 'end' | 'wordb' | 'nonwordb'> = {
      A: 'start',
      Z: 'end',
      b: 'wordb',
      B: 'nonwordb',
    };
    const kind = assertKinds[c];
    if (kind !== undefined) return { t: 'assert', kind, multiline: flags.m, ascii: flags.a };
    const common = commonEscape(c);
    if (typeof common === 'number') return { t: 'char', cp: common };
    if (common !== undefined) return common;
    if (c === '0') return { t: 'char', cp: octal(c) };
    if (DIGIT.test(c)) {
      let digits = c;
      if (DIGIT.test(peek() ?? '')) {
        digits += next();
        if (OCT.test(c) && OCT.test(digits[1] ?? '') && OCT.test(peek() ?? '')) {
          const value = Number.parseInt(digits + next(), 8);
          if (value > 0o377) fail(`octal escape value \\${digits} outside of range 0-0o377`);
          return { t: 'char', cp: value };
        }
      }
      const index = Number(digits);
      if (index > groupCount) fail(`invalid group reference ${index}`);
      if (open.has(index)) fail('cannot refer to an open group');
      return { t: 'backref', index };
    }
    if (/^[A-Za-z]$/.test(c)) fail(`bad escape \\${c}`);
    return { t: 'char', cp: cp(c) };
  };

  const readName = (end: string): string => {
    let name = '';
    for (;;) {
      const c = next();
      if (c === undefined) return fail('missing group name terminator');
      if (c === end) break;
      name += c;
    }
    if (!/^[\p{XID_Start}_]\p{XID_Continue}*$/u.test(name)) fail(`bad character in group name ${show(name)}`);
    return name;
  };

  const body = (): Node => {
    const node = parseAlt();
    if (!eat(')')) fail('missing ), unterminated subpattern');
    return node;
  };

  const parseFlags = (depth: number, wasAtStart: boolean): Node | null => {
    let on = '';
    let off = '';
    while (peek() !== undefined && 'aiLmsux'.includes(peek() as string)) on += next();
    if (eat('-')) while (peek() !== undefined && 'imsx'.includes(peek() as string)) off += next();
    if (on.includes('L')) fail("bad inline flag: cannot use 'L' flag with a str pattern");
    if (on.includes('a') && on.includes('u')) fail("bad inline flag: flags 'a' and 'u' are incompatible");
    if (eat(')')) {
      if (off !== '' || on === '') fail('missing -, : or )');
      if (depth > 0 || !wasAtStart) fail('global flags not at the start of the expression');
      for (const f of on) if (f in flags) flags[f as keyof Flags] = true;
      if (on.includes('i')) globalI = true;
      return null;
    }
    if (!eat(':')) fail('missing -, : or )');
    if ((on.includes('i') && !globalI) || (off.includes('i') && globalI)) {
      fail('a scoped case-insensitivity flag cannot be expressed in a JS RegExp', 'UNSUPPORTED_REGEX');
    }
    const saved = { ...flags };
    for (const f of on) if (f in flags) flags[f as keyof Flags] = true;
    for (const f of off) if (f in flags) flags[f as keyof Flags] = false;
    const inner = body();
    Object.assign(flags, saved);
    return { t: 'group', index: null, name: null, body: inner };
  };

  const parseGroup = (depth: number, wasAtStart: boolean): Node | null => {
    if (!eat('?')) {
      const index = ++groupCount;
      open.add(index);
      const inner = body();
      open.delete(index);
      return { t: 'group', index, name: null, body: inner };
    }
    const c = next();
    if (c === ':') return { t: 'group', index: null, name: null, body: body() };
    if (c === 'P' && eat('<')) {
      const name = readName('>');
      if (names.has(name)) fail(`redefinition of group name ${show(name)}`);
      const index = ++groupCount;
      names.set(name, index);
      open.add(index);
      const inner = body();
      open.delete(index);
      return { t: 'group', index, name, body: inner };
    }
    if (c === 'P' && eat('=')) {
      const name = readName(')');
      const index = names.get(name);
      if (index === undefined) return fail(`unknown group name ${show(name)}`);
      if (open.has(index)) fail('cannot refer to an open group');
      return { t: 'backref', index };
    }
    if (c === '=' || c === '!') return { t: 'look', behind: false, negative: c === '!', body: body() };
    if (c === '<' && (peek() === '=' || peek() === '!')) {
      const negative = next() === '!';
      return { t: 'look', behind: true, negative, body: body() };
    }
    if (c === '#') {
      while (next() !== ')') if (pos > cps.length) fail('missing ), unterminated comment');
      return null;
    }
    if (c === '>') return { t: 'atomic', body: body() };
    if (c === '(')
      return fail('conditional groups (?(...)...) are not supported by peftjs', 'UNSUPPORTED_REGEX');
    pos--;
    if (c !== undefined && ('aiLmsux'.includes(c) || c === '-')) return parseFlags(depth, wasAtStart);
    return fail(`unknown extension ?${c ?? ''}`);
  };

  const tryQuantifier = (): { min: number; max: number } | null => {
    const c = peek();
    if (c === '*' || c === '+' || c === '?') {
      pos++;
      return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : MAX_REPEAT };
    }
    if (c !== '{' || peek(1) === '}') return null;
    const start = pos;
    pos++;
    let lo = '';
    let hi = '';
    while (DIGIT.test(peek() ?? '')) lo += next();
    const comma = eat(',');
    if (comma) while (DIGIT.test(peek() ?? '')) hi += next();
    else hi = lo;
    if (!eat('}')) {
      pos = start;
      return null;
    }
    const min = lo === '' ? 0 : Number(lo);
    const max = hi === '' ? MAX_REPEAT : Number(hi);
    if (min >= MAX_REPEAT || (hi !== '' && max >= MAX_REPEAT)) fail('the repetition number is too large');
    if (max < min) fail('min repeat greater than max repeat');
    return { min, max };
  };

  function parseSeq(depth: number): Node {
    const items: Node[] = [];
    for (;;) {
      skipVerbose();
      const c = peek();
      if (c === undefined || c === '|' || c === ')') break;
      const quantStart = pos;
      const q = tryQuantifier();
      if (q !== null) {
        const last = items.pop();
        if (last === undefined || last.t === 'assert') {
          pos = quantStart;
          fail('nothing to repeat');
        }
        if (last?.t === 'repeat') {
          pos = quantStart;
          fail('multiple repeat');
        }
        const lazy = eat('?');
        const possessive = !lazy && eat('+');
        items.push({ t: 'repeat', body: last as Node, min: q.min, max: q.max, lazy, possessive });
        continue;
      }
      const wasAtStart = atStart;
      atStart = false;
      pos++;
      let node: Node | null;
      if (c === '(') node = parseGroup(depth, wasAtStart && depth === 0);
      else if (c === '[') node = parseSet();
      else if (c === '\\') node = parseEscape();
      else if (c === '.') node = { t: 'any', dotall: flags.s };
      else if (c === '^') node = { t: 'assert', kind: 'bol', multiline: flags.m, ascii: flags.a };
      else if (c === '$') node = { t: 'assert', kind: 'eol', multiline: flags.m, ascii: flags.a };
      else node = { t: 'char', cp: cp(c) };
      if (node === null) atStart = wasAtStart && depth === 0;
      else items.push(node);
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'seq', items };
  }

  let depthNow = 0;
  function parseAlt(): Node {
    depthNow++;
    const alts = [parseSeq(depthNow - 1)];
    while (eat('|')) alts.push(parseSeq(depthNow - 1));
    depthNow--;
    return alts.length === 1 ? (alts[0] as Node) : { t: 'alt', alts };
  }

  const root = parseAlt();
  if (pos < cps.length) fail('unbalanced parenthesis');
  return { root, ignoreCase: globalI, groupCount };
}
