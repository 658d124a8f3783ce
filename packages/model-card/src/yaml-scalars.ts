// Scalar scanners with PyYAML's exact folding rules: plain, single- and double-quoted, literal and folded blocks.
import { isBlankOrEnd, isBreak, isBreakOrEnd, type YamlCursor } from './yaml-cursor.js';

/** A scanned plain scalar. */
export interface PlainScalar {
  text: string;
  /** Line of its first character. */
  line: number;
  /** Whether it stopped at a `:` on the line of its last character (so it may be a mapping key). */
  beforeColon: boolean;
}

const NOT_PLAIN_START = '\t -?:,[]{}#&*!|>\'"%@`';

/** PyYAML's `check_plain`: whether a plain scalar may start at the cursor. */
export function canStartPlain(cur: YamlCursor): boolean {
  const ch = cur.peek();
  if (ch === '') return false;
  if (!NOT_PLAIN_START.includes(ch) && !isBreak(ch)) return true;
  return !isBlankOrEnd(cur.peek(1)) && (ch === '-' || (cur.flowLevel === 0 && (ch === '?' || ch === ':')));
}

/** Whether a plain scalar ends before `ch` (followed by `next`). */
function plainStops(ch: string, next: string, flow: boolean): boolean {
  if (isBlankOrEnd(ch)) return true;
  if (ch === ':') return isBlankOrEnd(next) || (flow && ',[]{}'.includes(next));
  return flow && ',?[]{}'.includes(ch);
}

/**
 * PyYAML's `scan_plain`: reads a plain scalar, folding continuation lines. In block context a continuation line
 * must be indented more than `indent` (the enclosing block collection's column).
 */
export function scanPlain(cur: YamlCursor, indent: number): PlainScalar {
  const line = cur.line;
  const chunks: string[] = [];
  let spaces: string[] = [];
  let lastLine = line;
  for (;;) {
    if (cur.peek() === '#') break;
    const flow = cur.flowLevel > 0;
    const chunk = cur.takeUntil((ch, next) => plainStops(ch, next, flow));
    if (chunk === '') break;
    chunks.push(...spaces, chunk);
    lastLine = cur.line;
    const next = plainSpaces(cur);
    if (next === undefined || next.length === 0 || cur.peek() === '#') break;
    if (cur.flowLevel === 0 && cur.column < indent + 1) break;
    spaces = next;
  }
  return { text: chunks.join(''), line, beforeColon: cur.peek() === ':' && cur.line === lastLine };
}

/** PyYAML's `scan_plain_spaces`; `undefined` when a document marker ends the scalar. */
function plainSpaces(cur: YamlCursor): string[] | undefined {
  const whitespace = cur.takeUntil((ch) => ch !== ' ');
  if (!isBreak(cur.peek())) return whitespace === '' ? [] : [whitespace];
  const first = cur.lineBreak();
  if (cur.atDocumentMarker()) return undefined;
  const breaks: string[] = [];
  while (cur.peek() === ' ' || isBreak(cur.peek())) {
    if (cur.peek() === ' ') cur.forward();
    else {
      breaks.push(cur.lineBreak());
      if (cur.atDocumentMarker()) return undefined;
    }
  }
  return [...folded(first, breaks)];
}

/** A line break and the empty lines after it, folded: one break is a space, n breaks are n - 1 newlines. */
function folded(first: string, breaks: string[]): string[] {
  if (first !== '\n') return [first, ...breaks];
  return breaks.length === 0 ? [' '] : breaks;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '\\': '\\',
  '/': '/',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};
const ESCAPE_LENGTHS: Record<string, number> = { x: 2, u: 4, U: 8 };

/** PyYAML's `scan_flow_scalar`: a single- or double-quoted scalar, the cursor at its opening quote. */
export function scanQuoted(cur: YamlCursor): string {
  const quote = cur.peek();
  const double = quote === '"';
  cur.forward();
  const chunks: string[] = [];
  nonSpaces(cur, double, chunks);
  while (cur.peek() !== quote) {
    const whitespace = cur.takeUntil((ch) => ch !== ' ' && ch !== '\t');
    if (cur.atEnd) throw cur.error('INVALID_YAML', 'found unexpected end of stream in a quoted scalar');
    if (isBreak(cur.peek())) {
      const first = cur.lineBreak();
      chunks.push(...folded(first, quotedBreaks(cur)));
    } else chunks.push(whitespace);
    nonSpaces(cur, double, chunks);
  }
  cur.forward();
  return chunks.join('');
}

function nonSpaces(cur: YamlCursor, double: boolean, chunks: string[]): void {
  for (;;) {
    chunks.push(cur.takeUntil((ch) => `'"\\ \t`.includes(ch) || isBreak(ch)));
    const ch = cur.peek();
    if (!double && ch === "'" && cur.peek(1) === "'") {
      chunks.push("'");
      cur.forward(2);
    } else if ((double && ch === "'") || (!double && (ch === '"' || ch === '\\'))) {
      chunks.push(ch);
      cur.forward();
    } else if (double && ch === '\\') {
      cur.forward();
      chunks.push(readEscape(cur));
    } else return;
  }
}

function readEscape(cur: YamlCursor): string {
  const ch = cur.peek();
  const simple = ESCAPES[ch];
  if (simple !== undefined && ch !== '') {
    cur.forward();
    return simple;
  }
  const length = ESCAPE_LENGTHS[ch];
  if (length !== undefined) {
    cur.forward();
    const hex = cur.text.slice(cur.pos, cur.pos + length);
    if (!new RegExp(`^[0-9A-Fa-f]{${length}}$`).test(hex)) {
      throw cur.error('INVALID_YAML', `expected escape sequence of ${length} hexadecimal numbers`);
    }
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) throw cur.error('INVALID_YAML', `escape \\${ch}${hex} is not a Unicode code point`);
    // Python keeps each escaped surrogate as its own code point; JavaScript would pair them up.
    if (code >= 0xd800 && code <= 0xdfff)
      throw cur.error('UNSUPPORTED_YAML', `surrogate escape \\${ch}${hex}`);
    cur.forward(length);
    return String.fromCodePoint(code);
  }
  if (isBreak(ch)) {
    cur.lineBreak();
    return quotedBreaks(cur).join('');
  }
  throw cur.error('INVALID_YAML', `found unknown escape character ${JSON.stringify(ch)}`);
}

/** PyYAML's `scan_flow_scalar_breaks`: empty lines inside a quoted scalar, leading blanks dropped. */
function quotedBreaks(cur: YamlCursor): string[] {
  const breaks: string[] = [];
  for (;;) {
    if (cur.atDocumentMarker()) throw cur.error('INVALID_YAML', 'found unexpected document separator');
    cur.takeUntil((ch) => ch !== ' ' && ch !== '\t');
    if (!isBreak(cur.peek())) return breaks;
    breaks.push(cur.lineBreak());
  }
}

/**
 * PyYAML's `scan_block_scalar`: a literal (`|`) or folded (`>`) scalar with its chomping and indentation
 * indicators, the cursor at the indicator; `indent` is the enclosing block collection's column.
 */
export function scanBlockScalar(cur: YamlCursor, indent: number): string {
  const folding = cur.peek() === '>';
  cur.forward();
  let chomping: boolean | undefined;
  let increment: number | undefined;
  for (let i = 0; i < 2; i++) {
    const ch = cur.peek();
    if ((ch === '+' || ch === '-') && chomping === undefined) {
      chomping = ch === '+';
      cur.forward();
    } else if (ch >= '0' && ch <= '9' && ch !== '' && increment === undefined) {
      if (ch === '0')
        throw cur.error('INVALID_YAML', 'expected indentation indicator in the range 1-9, but found 0');
      increment = Number(ch);
      cur.forward();
    }
  }
  if (!isBlankOrEnd(cur.peek()) || cur.peek() === '\t') {
    throw cur.error('INVALID_YAML', 'expected chomping or indentation indicators in a block scalar');
  }
  cur.takeUntil((ch) => ch !== ' ');
  if (cur.peek() === '#') cur.takeUntil(isBreak);
  if (!isBreakOrEnd(cur.peek())) throw cur.error('INVALID_YAML', 'expected a comment or a line break');
  cur.lineBreak();

  const minIndent = Math.max(indent + 1, 1);
  let breaks: string[];
  let ind: number;
  if (increment === undefined) {
    let maxIndent = 0;
    breaks = [];
    while (cur.peek() === ' ' || isBreak(cur.peek())) {
      if (cur.peek() === ' ') {
        cur.forward();
        maxIndent = Math.max(maxIndent, cur.column);
      } else breaks.push(cur.lineBreak());
    }
    ind = Math.max(minIndent, maxIndent);
  } else {
    ind = minIndent + increment - 1;
    breaks = blockBreaks(cur, ind);
  }
  const chunks: string[] = [];
  let lineBreak = '';
  while (cur.column === ind && !cur.atEnd) {
    chunks.push(...breaks);
    const leadingNonSpace = cur.peek() !== ' ' && cur.peek() !== '\t';
    chunks.push(cur.takeUntil(isBreak));
    lineBreak = cur.lineBreak();
    breaks = blockBreaks(cur, ind);
    if (cur.column !== ind || cur.atEnd) break;
    const next = cur.peek();
    if (folding && lineBreak === '\n' && leadingNonSpace && next !== ' ' && next !== '\t') {
      if (breaks.length === 0) chunks.push(' ');
    } else chunks.push(lineBreak);
  }
  if (chomping !== false) chunks.push(lineBreak);
  if (chomping === true) chunks.push(...breaks);
  return chunks.join('');
}

/** PyYAML's `scan_block_scalar_breaks`: empty lines, skipping indentation up to `ind`. */
function blockBreaks(cur: YamlCursor, ind: number): string[] {
  const breaks: string[] = [];
  while (cur.column < ind && cur.peek() === ' ') cur.forward();
  while (isBreak(cur.peek())) {
    breaks.push(cur.lineBreak());
    while (cur.column < ind && cur.peek() === ' ') cur.forward();
  }
  return breaks;
}
