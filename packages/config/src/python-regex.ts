import { ConfigError, show } from './errors.js';
import { type ClassName, type Node, parsePythonPattern, type SetItem } from './python-regex-parse.js';

/** A Python pattern compiled to a JS RegExp with Python's semantics (`re.match` / `re.fullmatch`). */
export interface PythonRegex {
  /** The Python pattern. */
  readonly pattern: string;
  /** The translated JS pattern (without the anchoring that `match` / `fullmatch` add). */
  readonly jsSource: string;
  /** `re.match(pattern, s)`: anchored at the start. Returns Python-numbered groups, or null. */
  match(s: string): PythonMatch | null;
  /** `re.fullmatch(pattern, s)`: must span the whole string. */
  fullmatch(s: string): PythonMatch | null;
}

/** A successful match. */
export interface PythonMatch {
  /** Group `n` as Python numbers it (0 = the whole match); undefined when the group did not take part. */
  group(n: number): string | undefined;
}

/** Compiled patterns kept for reuse (module selection runs the same few patterns over every module name). */
export const PYTHON_REGEX_CACHE_SIZE = 512;
const cache = new Map<string, PythonRegex>();

// Python's str-pattern classes (Unicode by default, `(?a)` for ASCII). \w is str.isalnum() or "_"; \s is
// str.isspace() (includes \x1c-\x1f and \x85, unlike JS's \s; excludes \ufeff, unlike JS's \s).
const WORD = '\\p{L}\\p{N}_';
const WORD_ASCII = 'A-Za-z0-9_';
const SPACE = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_ASCII = '\\t-\\r ';
const DIGIT = '\\p{Nd}';
const DIGIT_ASCII = '0-9';

/** Class body of a shorthand, and whether the shorthand is its complement. */
function classBody(cls: ClassName, ascii: boolean): { body: string; negated: boolean } {
  const lower = cls.toLowerCase();
  const body =
    lower === 'd'
      ? ascii
        ? DIGIT_ASCII
        : DIGIT
      : lower === 'w'
        ? ascii
          ? WORD_ASCII
          : WORD
        : ascii
          ? SPACE_ASCII
          : SPACE;
  return { body, negated: cls !== lower };
}

function literal(cp: number): string {
  const c = String.fromCodePoint(cp);
  return /^[A-Za-z0-9_]$/.test(c) ? c : `\\u{${cp.toString(16)}}`;
}

function emitSet(negated: boolean, items: SetItem[]): string {
  let positive = '';
  const complements: string[] = [];
  for (const item of items) {
    if (item.t === 'range') {
      positive += item.lo === item.hi ? literal(item.lo) : `${literal(item.lo)}-${literal(item.hi)}`;
      continue;
    }
    const { body, negated: isComplement } = classBody(item.cls, item.ascii);
    if (!isComplement) positive += body;
    else if (item.cls === 'D' && !item.ascii) positive += '\\P{Nd}';
    else complements.push(body);
  }
  if (complements.length === 0) return `[${negated ? '^' : ''}${positive}]`;
  // A JS class cannot hold the complement of a multi-range class (\W, \S): use an alternation instead.
  const union = `(?:${[...(positive === '' ? [] : [`[${positive}]`]), ...complements.map((c) => `[^${c}]`)].join('|')})`;
  return negated ? `(?:(?!${union})[\\s\\S])` : union;
}

function emitAssert(node: Extract<Node, { t: 'assert' }>): string {
  switch (node.kind) {
    case 'start':
      return '^';
    case 'end':
      return '$';
    case 'bol':
      return node.multiline ? '(?:^|(?<=\\n))' : '^';
    case 'eol':
      // Python's $ also matches before a final newline.
      return node.multiline ? '(?=\\n|$)' : '(?=\\n?$)';
    default: {
      const w = `[${node.ascii ? WORD_ASCII : WORD}]`;
      // Python (before 3.14) never matches \B in an empty string.
      return node.kind === 'wordb'
        ? `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`
        : `(?!^$)(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`;
    }
  }
}

/** Widths a node can match, for Python's fixed-width look-behind rule. */
function width(node: Node, groups: Map<number, [number, number]>): [number, number] {
  switch (node.t) {
    case 'char':
    case 'any':
    case 'set':
    case 'class':
      return [1, 1];
    case 'assert':
    case 'look':
      return [0, 0];
    case 'seq':
      return node.items.reduce<[number, number]>(
        (acc, n) => {
          const [lo, hi] = width(n, groups);
          return [acc[0] + lo, acc[1] + hi];
        },
        [0, 0],
      );
    case 'alt': {
      const ws = node.alts.map((n) => width(n, groups));
      return [Math.min(...ws.map((w) => w[0])), Math.max(...ws.map((w) => w[1]))];
    }
    case 'group':
    case 'atomic':
      return width(node.body, groups);
    case 'repeat': {
      const [lo, hi] = width(node.body, groups);
      return [lo * node.min, hi * node.max];
    }
    case 'backref':
      return groups.get(node.index) ?? [0, Number.POSITIVE_INFINITY];
  }
}

/** Turns the AST into JS source, numbering JS capture groups as they open (atomic groups add some). */
function emit(root: Node, pattern: string): { source: string; groupMap: number[] } {
  const groupMap: number[] = [0];
  const widths = new Map<number, [number, number]>();
  let jsGroups = 0;
  const wrap = (node: Node, s: string): string =>
    node.t === 'char' || node.t === 'set' || node.t === 'class' || node.t === 'any' || node.t === 'group'
      ? s
      : `(?:${s})`;
  const atomic = (inner: () => string): string => {
    const k = ++jsGroups;
    return `(?=(${inner()}))(?:\\${k})`;
  };
  const go = (node: Node): string => {
    switch (node.t) {
      case 'seq':
        return node.items.map(go).join('');
      case 'alt':
        return node.alts.map(go).join('|');
      case 'char':
        return literal(node.cp);
      case 'any':
        return node.dotall ? '[\\s\\S]' : '[^\\n]';
      case 'set':
        return emitSet(node.negated, node.items);
      case 'class': {
        const { body, negated } = classBody(node.cls, node.ascii);
        return `[${negated ? '^' : ''}${body}]`;
      }
      case 'assert':
        return emitAssert(node);
      case 'group': {
        if (node.index === null) return `(?:${go(node.body)})`;
        groupMap[node.index] = ++jsGroups;
        const inner = go(node.body);
        widths.set(node.index, width(node.body, widths));
        return node.name === null ? `(${inner})` : `(?<${node.name}>${inner})`;
      }
      case 'look': {
        if (node.behind) {
          const [lo, hi] = width(node.body, widths);
          if (lo !== hi) {
            throw new ConfigError(
              'INVALID_REGEX',
              `Invalid Python regex ${show(pattern)}: look-behind requires fixed-width pattern.`,
              {
                value: pattern,
              },
            );
          }
        }
        return `(?${node.behind ? '<' : ''}${node.negative ? '!' : '='}${go(node.body)})`;
      }
      case 'atomic':
        return atomic(() => go(node.body));
      case 'repeat': {
        const q =
          node.max >= 4294967295
            ? node.min === 0
              ? '*'
              : node.min === 1
                ? '+'
                : `{${node.min},}`
            : `{${node.min},${node.max}}`;
        const rep = (): string => `${wrap(node.body, go(node.body))}${q}${node.lazy ? '?' : ''}`;
        return node.possessive ? atomic(rep) : rep();
      }
      case 'backref':
        return `(?:\\${groupMap[node.index]})`;
    }
  };
  return { source: go(root), groupMap };
}

/**
 * Compiles a Python `re` pattern to an equivalent JS RegExp (cached). Python semantics kept: `.` excludes only
 * `\n`, `$` also matches before a final newline, `\d` `\w` `\s` `\b` are Unicode-aware as in Python (ASCII under
 * `(?a)`), `(?P<name>…)` / `(?P=name)`, octal escapes, `{,n}`, literal `{`, `]` first in a set, inline flags,
 * possessive quantifiers and atomic groups.
 *
 * @param pattern - the Python pattern
 * @param field - the config field it comes from, for error messages
 * @returns the compiled pattern
 * @throws {ConfigError} `INVALID_REGEX` where Python's `re.compile` fails, `UNSUPPORTED_REGEX` for conditionals,
 *   `\N{…}` and scoped `(?i:…)`
 * @example
 * ```ts
 * compilePythonRegex('.*\\.(q|v)_proj').fullmatch('model.layers.0.self_attn.q_proj') !== null; // true
 * ```
 */
export function compilePythonRegex(pattern: string, field?: string): PythonRegex {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let compiled: PythonRegex;
  try {
    compiled = build(pattern);
  } catch (e) {
    if (e instanceof ConfigError && field !== undefined) {
      throw new ConfigError(e.code, `\`${field}\`: ${e.message}`, { field, value: pattern, cause: e });
    }
    throw e;
  }
  if (cache.size >= PYTHON_REGEX_CACHE_SIZE) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

function build(pattern: string): PythonRegex {
  const parsed = parsePythonPattern(pattern);
  const { source, groupMap } = emit(parsed.root, pattern);
  const flags = parsed.ignoreCase ? 'iu' : 'u';
  let anchored: RegExp;
  let full: RegExp;
  try {
    anchored = new RegExp(`^(?:${source})`, flags);
    full = new RegExp(`^(?:${source})$`, flags);
  } catch (cause) {
    throw new ConfigError('INVALID_REGEX', `Invalid Python regex ${show(pattern)}: ${String(cause)}.`, {
      value: pattern,
      cause,
    });
  }
  const wrapMatch = (m: RegExpExecArray | null): PythonMatch | null =>
    m === null
      ? null
      : {
          group: (n: number) => {
            const js = groupMap[n];
            return js === undefined ? undefined : m[js];
          },
        };
  return {
    pattern,
    jsSource: source,
    match: (s) => wrapMatch(anchored.exec(s)),
    fullmatch: (s) => wrapMatch(full.exec(s)),
  };
}
