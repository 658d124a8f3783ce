// A position in YAML text with PyYAML's Reader semantics: line breaks, columns, printable characters.
import { ModelCardError } from './errors.js';

/** Whether `ch` is a character PyYAML treats as a line break (`\r\n` counts as one break). */
export function isBreak(ch: string): boolean {
  return ch !== '' && '\r\n\x85\u2028\u2029'.includes(ch);
}

/** Whether `ch` is a line break or the end of the text (`''`, PyYAML's `'\0'`). */
export function isBreakOrEnd(ch: string): boolean {
  return ch === '' || isBreak(ch);
}

/** Whether `ch` is a space, a tab, a line break or the end of the text: what may follow an indicator. */
export function isBlankOrEnd(ch: string): boolean {
  return ch === ' ' || ch === '\t' || isBreakOrEnd(ch);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: this lists the control characters YAML allows.
const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Reads YAML text one character at a time, tracking PyYAML's line and column (the BOM takes no column). @internal */
export class YamlCursor {
  pos = 0;
  line = 0;
  column = 0;
  /** Nesting depth of flow collections (`[`, `{`). */
  flowLevel = 0;

  /**
   * @param text - the YAML text
   * @throws {ModelCardError} `INVALID_YAML` for a character PyYAML's reader refuses (controls, lone surrogates)
   */
  constructor(readonly text: string) {
    const bad = NON_PRINTABLE.exec(text);
    if (bad !== null) {
      const code = bad[0].codePointAt(0)!.toString(16).padStart(4, '0');
      throw this.error(
        'INVALID_YAML',
        `unacceptable character #x${code}: special characters are not allowed`,
      );
    }
  }

  /** The character `offset` UTF-16 units ahead, or `''` at the end. */
  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  /** Whether the text continues with `s`. */
  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  /** Whether the cursor is at the end of the text. */
  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** Moves over `count` characters (a surrogate pair is one character, as in Python). */
  forward(count = 1): void {
    for (let i = 0; i < count && this.pos < this.text.length; i++) {
      const ch = this.text[this.pos] as string;
      const code = ch.charCodeAt(0);
      this.pos += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      if ('\n\x85\u2028\u2029'.includes(ch) || (ch === '\r' && this.peek() !== '\n')) {
        this.line++;
        this.column = 0;
      } else if (ch !== '\uFEFF') this.column++;
    }
  }

  /** Takes the text up to the first character for which `stop` is true. */
  takeUntil(stop: (ch: string, next: string) => boolean): string {
    const start = this.pos;
    while (!this.atEnd && !stop(this.peek(), this.peek(1))) this.forward();
    return this.text.slice(start, this.pos);
  }

  /** PyYAML's `scan_line_break`: consumes one line break, giving `'\n'` (or `\u2028`/`\u2029`), or `''`. */
  lineBreak(): string {
    const ch = this.peek();
    if (ch === '\r' || ch === '\n' || ch === '\x85') {
      this.forward(this.startsWith('\r\n') ? 2 : 1);
      return '\n';
    }
    if (ch === '\u2028' || ch === '\u2029') {
      this.forward();
      return ch;
    }
    return '';
  }

  /** Whether a `---` or `...` document marker (followed by a blank or the end) starts here. */
  atDocumentMarker(): boolean {
    return (this.startsWith('---') || this.startsWith('...')) && isBlankOrEnd(this.peek(3));
  }

  /** PyYAML's `scan_to_next_token`: skips spaces, comments and line breaks (not tabs). */
  skipToToken(): void {
    if (this.pos === 0 && this.peek() === '\uFEFF') this.forward();
    for (;;) {
      while (this.peek() === ' ') this.forward();
      if (this.peek() === '#') this.takeUntil(isBreak);
      if (this.lineBreak() === '') return;
    }
  }

  /** An error naming the line and column (1-based) of the cursor. */
  error(code: 'INVALID_YAML' | 'UNSUPPORTED_YAML', what: string): ModelCardError {
    const where = `line ${this.line + 1}, column ${this.column + 1}`;
    const prefix = code === 'INVALID_YAML' ? 'Invalid YAML front matter' : 'Unsupported YAML front matter';
    return new ModelCardError(code, `${prefix} at ${where}: ${what}.`);
  }
}
