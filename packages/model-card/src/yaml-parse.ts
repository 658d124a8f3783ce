// A YAML reader for card front matter that gives what PyYAML's `safe_load` gives, or refuses.
import { isBlankOrEnd, isBreakOrEnd, YamlCursor } from './yaml-cursor.js';
import { constructPlain } from './yaml-resolve.js';
import { canStartPlain, scanBlockScalar, scanPlain, scanQuoted } from './yaml-scalars.js';
import { scanTaggedScalar } from './yaml-tags.js';
import { defineEntry, isIndexKey, type YamlMapping, type YamlValue } from './yaml-value.js';

/**
 * Parses one YAML document as PyYAML's `safe_load` does (YAML 1.1 types), for the subset card front matter uses:
 * block and flow collections, plain, quoted and block scalars, comments.
 *
 * @param text - the YAML text (without `---` lines)
 * @returns the value; `null` for an empty document
 * @throws {ModelCardError} `INVALID_YAML` where PyYAML fails; `UNSUPPORTED_YAML` for valid YAML outside the
 *   subset (anchors, aliases, tags, `? ` keys, merge keys, directives, keys that are not strings)
 */
export function parseYaml(text: string): YamlValue {
  return new Parser(new YamlCursor(text)).document();
}

/** The longest simple key PyYAML accepts, in characters from its start to its `:`. */
const MAX_SIMPLE_KEY = 1024;

/** Where a key sits, for its error: PyYAML gives the top level's keys to `ModelCardData(**data)`. */
type Level = 'root' | 'nested';

class Parser {
  constructor(readonly cur: YamlCursor) {}

  document(): YamlValue {
    const cur = this.cur;
    cur.skipToToken();
    if (cur.peek() === '%' && cur.column === 0)
      throw cur.error('UNSUPPORTED_YAML', 'directives are not supported');
    if (cur.startsWith('---') && cur.atDocumentMarker()) {
      throw cur.error('UNSUPPORTED_YAML', 'an explicit `---` document start inside the front matter');
    }
    let value: YamlValue = null;
    if (!this.atDocumentEnd()) value = this.blockNode(-1, 'root');
    cur.skipToToken();
    if (cur.startsWith('...') && cur.column === 0 && cur.atDocumentMarker()) {
      cur.forward(3);
      cur.skipToToken();
      if (!cur.atEnd) throw cur.error('INVALID_YAML', 'expected a single document, but found another');
    }
    if (!cur.atEnd) throw cur.error('INVALID_YAML', `expected the end of a block, but found ${this.found()}`);
    return value;
  }

  atDocumentEnd(): boolean {
    return this.cur.atEnd || (this.cur.column === 0 && this.cur.atDocumentMarker());
  }

  found(): string {
    const ch = this.cur.peek();
    return ch === '' ? 'the end' : JSON.stringify(ch);
  }

  refuseProperties(): void {
    const ch = this.cur.peek();
    if (ch === '&' || ch === '*')
      throw this.cur.error('UNSUPPORTED_YAML', 'anchors and aliases are not supported');
    if (ch === '!')
      throw this.cur.error('UNSUPPORTED_YAML', 'tags on keys and collections are not supported');
    if (ch === '?' && isBlankOrEnd(this.cur.peek(1))) {
      throw this.cur.error('UNSUPPORTED_YAML', 'complex `? ` keys are not supported');
    }
  }

  /** A node that starts at the cursor, inside a block collection at column `indent`. */
  blockNode(indent: number, level: Level): YamlValue {
    const cur = this.cur;
    if (cur.peek() === '!') return this.tagged(indent);
    this.refuseProperties();
    const column = cur.column;
    const ch = cur.peek();
    if (ch === '-' && isBlankOrEnd(cur.peek(1))) return this.blockSequence(column);
    if (ch === '|' || ch === '>') return scanBlockScalar(cur, indent);
    if (ch === '[' || ch === '{') {
      const value = this.flowCollection(level);
      this.refuseKey('a flow collection cannot be a mapping key');
      return value;
    }
    const start = cur.pos;
    if (ch === "'" || ch === '"') {
      const line = cur.line;
      const text = scanQuoted(cur);
      if (this.atValueIndicator()) {
        this.checkSimpleKey(line, start);
        return this.blockMapping(column, text, level);
      }
      return text;
    }
    if (!canStartPlain(cur))
      throw cur.error('INVALID_YAML', `found ${this.found()} that cannot start any token`);
    const plain = scanPlain(cur, indent);
    if (plain.beforeColon) {
      this.checkSimpleKey(plain.line, start);
      return this.blockMapping(column, this.plainKey(plain.text, level), level);
    }
    return constructPlain(plain.text);
  }

  /** PyYAML's simple keys: on one line, and their `:` at most 1024 characters after their start. */
  checkSimpleKey(line: number, start: number): void {
    if (this.cur.line !== line || this.cur.pos - start > MAX_SIMPLE_KEY) {
      throw this.cur.error('INVALID_YAML', 'mapping values are not allowed here');
    }
  }

  /** A scalar with a standard tag (`!!str 1`); tagged keys are refused. */
  tagged(indent: number): YamlValue {
    const value = scanTaggedScalar(this.cur, indent);
    if (this.atValueIndicator())
      throw this.cur.error('UNSUPPORTED_YAML', 'tagged mapping keys are not supported');
    return value;
  }

  /** Whether `:` followed by a blank comes next on this line, after spaces. */
  atValueIndicator(): boolean {
    const cur = this.cur;
    const save = { pos: cur.pos, line: cur.line, column: cur.column };
    cur.takeUntil((c) => c !== ' ');
    if (cur.peek() === ':' && (cur.flowLevel > 0 || isBlankOrEnd(cur.peek(1)))) return true;
    Object.assign(cur, save);
    return false;
  }

  refuseKey(why: string): void {
    if (this.atValueIndicator()) throw this.cur.error('INVALID_YAML', why);
  }

  plainKey(text: string, level: Level): string {
    const value = constructPlain(text);
    if (typeof value === 'string') return value;
    const what = `the key ${JSON.stringify(text)} is not a string`;
    if (level === 'root')
      throw this.cur.error('INVALID_YAML', `${what} (card metadata keys must be strings)`);
    throw this.cur.error('UNSUPPORTED_YAML', what);
  }

  set(map: YamlMapping, key: string, value: YamlValue): void {
    if (isIndexKey(key)) {
      throw this.cur.error(
        'UNSUPPORTED_YAML',
        `the key ${JSON.stringify(key)} would lose its place in a JS object`,
      );
    }
    defineEntry(map, key, value);
  }

  /** A block mapping at `column`; the cursor is at the `:` after its first key. */
  blockMapping(column: number, firstKey: string, level: Level): YamlMapping {
    const cur = this.cur;
    const map: YamlMapping = {};
    let key = firstKey;
    for (;;) {
      cur.forward(); // the ':'
      this.set(map, key, this.mappingValue(column));
      cur.skipToToken();
      if (this.atDocumentEnd() || cur.column < column) return map;
      if (cur.column > column)
        throw cur.error('INVALID_YAML', `bad indentation of a mapping entry at ${this.found()}`);
      key = this.blockKey(level);
    }
  }

  blockKey(level: Level): string {
    const cur = this.cur;
    this.refuseProperties();
    const line = cur.line;
    const start = cur.pos;
    let key: string;
    if (cur.peek() === "'" || cur.peek() === '"') key = scanQuoted(cur);
    else if (canStartPlain(cur)) {
      const plain = scanPlain(cur, cur.column);
      key = this.plainKey(plain.text, level);
    } else throw cur.error('INVALID_YAML', `expected a mapping key, but found ${this.found()}`);
    if (!this.atValueIndicator())
      throw cur.error('INVALID_YAML', "could not find expected ':' after a mapping key");
    this.checkSimpleKey(line, start);
    return key;
  }

  /** The value after a block mapping's `:`; `column` is the mapping's. */
  mappingValue(column: number): YamlValue {
    const cur = this.cur;
    cur.takeUntil((c) => c !== ' ');
    if (cur.peek() === '#' || isBreakOrEnd(cur.peek())) {
      cur.skipToToken();
      if (this.atDocumentEnd()) return null;
      if (cur.column > column) return this.blockNode(column, 'nested');
      if (cur.column === column && cur.peek() === '-' && isBlankOrEnd(cur.peek(1)))
        return this.blockSequence(column);
      return null;
    }
    return this.inlineValue(column, 'mapping values are not allowed here');
  }

  /** A value on the same line as its key (or `- `): a scalar, a flow collection or a block scalar. */
  inlineValue(column: number, nested: string): YamlValue {
    const cur = this.cur;
    if (cur.peek() === '!') return this.tagged(column);
    this.refuseProperties();
    const ch = cur.peek();
    if (ch === '-' && isBlankOrEnd(cur.peek(1)))
      throw cur.error('INVALID_YAML', 'sequence entries are not allowed here');
    if (ch === '|' || ch === '>') return scanBlockScalar(cur, column);
    let value: YamlValue;
    if (ch === '[' || ch === '{') value = this.flowCollection('nested');
    else if (ch === "'" || ch === '"') value = scanQuoted(cur);
    else if (canStartPlain(cur)) {
      const plain = scanPlain(cur, column);
      if (plain.beforeColon) throw cur.error('INVALID_YAML', nested);
      return constructPlain(plain.text);
    } else throw cur.error('INVALID_YAML', `found ${this.found()} that cannot start any token`);
    this.refuseKey(nested);
    return value;
  }

  /** A block sequence whose `-` entries sit at `column`. */
  blockSequence(column: number): YamlValue[] {
    const cur = this.cur;
    const items: YamlValue[] = [];
    for (;;) {
      cur.forward(); // the '-'
      cur.takeUntil((c) => c !== ' ');
      if (cur.peek() === '#' || isBreakOrEnd(cur.peek())) {
        cur.skipToToken();
        items.push(!this.atDocumentEnd() && cur.column > column ? this.blockNode(column, 'nested') : null);
      } else items.push(this.blockNode(column, 'nested'));
      cur.skipToToken();
      if (this.atDocumentEnd() || cur.column < column) return items;
      if (cur.column > column)
        throw cur.error('INVALID_YAML', `bad indentation of a sequence entry at ${this.found()}`);
      if (cur.peek() !== '-' || !isBlankOrEnd(cur.peek(1))) return items;
    }
  }

  /** A flow collection (`[…]` or `{…}`), the cursor at its opening bracket. */
  flowCollection(level: Level): YamlValue {
    const cur = this.cur;
    const mapping = cur.peek() === '{';
    const close = mapping ? '}' : ']';
    cur.forward();
    cur.flowLevel++;
    const items: YamlValue[] = [];
    const map: YamlMapping = {};
    for (let first = true; ; first = false) {
      this.flowSkip();
      if (cur.peek() === close) break;
      if (!first) {
        if (cur.peek() !== ',')
          throw cur.error('INVALID_YAML', `expected ',' or '${close}', but found ${this.found()}`);
        cur.forward();
        this.flowSkip();
        if (cur.peek() === close) break;
      }
      if (!mapping) {
        items.push(this.flowNode(level));
        this.flowSkip();
        if (cur.peek() === ':')
          throw cur.error('UNSUPPORTED_YAML', 'single-pair mappings inside `[…]` are not supported');
        continue;
      }
      if (cur.peek() === ':') throw cur.error('UNSUPPORTED_YAML', 'flow mapping entries without a key');
      const key = this.flowNode(level === 'root' ? 'root' : 'nested', true);
      if (typeof key !== 'string')
        throw cur.error('UNSUPPORTED_YAML', `the key ${JSON.stringify(key)} is not a string`);
      this.flowSkip();
      let value: YamlValue = null;
      if (cur.peek() === ':') {
        cur.forward();
        this.flowSkip();
        if (cur.peek() !== ',' && cur.peek() !== close) value = this.flowNode('nested');
      }
      this.set(map, key, value);
    }
    cur.forward();
    cur.flowLevel--;
    return mapping ? map : items;
  }

  flowSkip(): void {
    const cur = this.cur;
    cur.skipToToken();
    if (cur.atEnd) throw cur.error('INVALID_YAML', 'a flow collection is not closed');
    if (cur.column === 0 && cur.atDocumentMarker()) {
      throw cur.error('INVALID_YAML', 'found a document separator inside a flow collection');
    }
  }

  flowNode(level: Level, key = false): YamlValue {
    const cur = this.cur;
    if (cur.peek() === '!' && !key) return this.tagged(-1);
    this.refuseProperties();
    const ch = cur.peek();
    if (ch === '[' || ch === '{') {
      if (key) throw cur.error('INVALID_YAML', 'a flow collection cannot be a mapping key');
      return this.flowCollection('nested');
    }
    if (ch === "'" || ch === '"') return scanQuoted(cur);
    if (ch === '?') throw cur.error('UNSUPPORTED_YAML', 'explicit `?` keys are not supported');
    if (!canStartPlain(cur))
      throw cur.error('INVALID_YAML', `found ${this.found()} that cannot start any token`);
    const text = scanPlain(cur, -1).text;
    return key ? this.plainKey(text, level) : constructPlain(text);
  }
}
