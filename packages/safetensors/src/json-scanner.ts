import { SafetensorsError, show } from './errors.js';

/** serde_json's nesting limit: deeper JSON is rejected rather than risking the stack. */
const MAX_DEPTH = 128;

/**
 * Strict JSON lexing over a string, as serde_json reads it: JSON whitespace only, the JSON number grammar,
 * escapes with paired surrogates, a nesting limit. Failures are `INVALID_JSON` with the position. @internal
 */
export class JsonScanner {
  protected pos = 0;

  constructor(protected readonly text: string) {}

  /** Runs `member` for each `"key": value` of an object whose `{` was consumed, through the closing `}`. */
  protected members(member: () => void): void {
    this.ws();
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      member();
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x7d) return;
      if (c !== 0x2c) this.fail(`expected ',' or '}'`, this.pos - 1);
      this.ws();
    }
  }

  protected key(): string {
    this.ws();
    if (this.peek() !== 0x22) this.fail(`expected a string key, found ${this.near()}`);
    const key = this.string();
    this.ws();
    if (this.peek() !== 0x3a) this.fail(`expected ':' after the key ${show(key)}`);
    this.pos++;
    this.ws();
    return key;
  }

  protected string(): string {
    const text = this.text;
    let i = this.pos + 1;
    let out = '';
    let chunk = i;
    for (;;) {
      if (i >= text.length) this.fail('unterminated string', this.pos);
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) this.fail(`control character U+${c.toString(16).padStart(4, '0')} in a string`, i);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(chunk, i);
      const e = text.charCodeAt(i + 1);
      i += 2;
      if (e === 0x75) {
        const unit = this.hex4(i);
        i += 4;
        if (unit >= 0xdc00 && unit <= 0xdfff) this.fail('lone trailing surrogate in a \\u escape', i - 6);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.charCodeAt(i) === 0x5c && text.charCodeAt(i + 1) === 0x75 ? this.hex4(i + 2) : -1;
          if (low < 0xdc00 || low > 0xdfff) this.fail('lone leading surrogate in a \\u escape', i - 6);
          out += String.fromCharCode(unit, low);
          i += 6;
        } else out += String.fromCharCode(unit);
      } else {
        const simple = ESCAPES[e];
        if (simple === undefined) this.fail('invalid escape in a string', i - 2);
        out += simple;
      }
      chunk = i;
    }
    out += text.slice(chunk, i);
    this.pos = i + 1;
    return out;
  }

  protected hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('invalid \\u escape', at - 2);
    return Number.parseInt(digits, 16);
  }

  /** Skips any JSON value (an ignored field), checking its syntax and nesting. */
  protected skipValue(depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`JSON nested deeper than ${MAX_DEPTH} levels`);
    const c = this.peek();
    if (c === 0x22) this.string();
    else if (c === 0x7b) {
      this.pos++;
      this.members(() => {
        this.key();
        this.skipValue(depth + 1);
      });
    } else if (c === 0x5b) {
      this.pos++;
      this.ws();
      if (this.peek() === 0x5d) {
        this.pos++;
        return;
      }
      for (;;) {
        this.ws();
        this.skipValue(depth + 1);
        this.ws();
        const d = this.peek();
        this.pos++;
        if (d === 0x5d) return;
        if (d !== 0x2c) this.fail(`expected ',' or ']'`, this.pos - 1);
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.pos = this.numberEnd();
    else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) {
      this.fail(`expected a JSON value, found ${this.near()}`);
    }
  }

  /** End of the JSON number starting at `pos`; fails unless it matches the JSON number grammar. */
  protected numberEnd(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail(`invalid number ${this.near()}`);
    const end = this.pos + match[0].length;
    const next = this.text.charCodeAt(end);
    if ((next >= 0x30 && next <= 0x39) || next === 0x2e || next === 0x65 || next === 0x45) {
      this.fail(`invalid number ${this.near()}`);
    }
    return end;
  }

  protected literal(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  protected ws(): void {
    const text = this.text;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.pos = i;
  }

  /** Code unit at `pos`, or -1 at the end (NaN-free, so comparisons stay simple). */
  protected peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  protected near(at = this.pos): string {
    return at >= this.text.length ? 'the end of the header' : show(this.text.slice(at, at + 20), 24);
  }

  protected fail(why: string, at = this.pos): never {
    throw new SafetensorsError('INVALID_JSON', `invalid JSON in the header at position ${at}: ${why}`);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const ESCAPES: Record<number, string> = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
};
