// PyYAML's Emitter writers (indentation, indicators, plain and quoted scalars) with its column bookkeeping.
import { isPrintable } from './yaml-analyze.js';

/** Line width PyYAML folds long scalars at (its default `best_width`). */
export const YAML_WIDTH = 80;
/** Indentation step (PyYAML's default `best_indent`). */
export const YAML_INDENT = 2;

const BREAK_CHARS = '\n\x85\u2028\u2029';

const ESCAPE_REPLACEMENTS: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\v': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xa0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

/** The writing half of PyYAML's `Emitter`: output, column, and the whitespace / indention flags. @internal */
export class EmitterState {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  indent: number | undefined = undefined;
  readonly indents: (number | undefined)[] = [];
  flowLevel = 0;

  /**
   * @param lineBreak - the line break to write (`\n`, `\r\n` or `\r`)
   */
  constructor(readonly lineBreak: string) {}

  /** `increase_indent`: pushes the indent; the first level is 0 (block) or 2 (flow), then +2 unless indentless. */
  increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === undefined) this.indent = flow ? YAML_INDENT : 0;
    else if (!indentless) this.indent += YAML_INDENT;
  }

  /** Restores the indent pushed by {@link EmitterState.increaseIndent}. */
  popIndent(): void {
    this.indent = this.indents.pop();
  }

  private write(data: string, length = Array.from(data).length): void {
    this.out += data;
    this.column += length;
  }

  /** `write_indicator`: an indicator (`-`, `:`, `?`, a quote), after a space where one is needed. */
  writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.write(data);
  }

  /** `write_indent`: a line break unless at the indentation already, then spaces up to it. */
  writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
    }
  }

  /** `write_line_break`: the configured line break, or `data` (a `\x85`/`\u2028`/`\u2029` kept from a scalar). */
  writeLineBreak(data?: string): void {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.out += data ?? this.lineBreak;
  }

  /** Writes the line breaks in `text[start, end)`, as the plain and single-quoted writers do. */
  private writeBreaks(text: string[], start: number, end: number): void {
    if (text[start] === '\n') this.writeLineBreak();
    for (let i = start; i < end; i++) {
      const br = text[i] as string;
      this.writeLineBreak(br === '\n' ? undefined : br);
    }
    this.writeIndent();
  }

  /** `write_plain`: a plain scalar (its code points), folded at spaces past the width when `split`. */
  writePlain(text: string[], split: boolean): void {
    if (text.length === 0) return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = text[end];
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > YAML_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAK_CHARS.includes(ch)) {
          this.writeBreaks(text, start, end);
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === undefined || ` ${BREAK_CHARS}`.includes(ch)) {
        this.write(text.slice(start, end).join(''), end - start);
        start = end;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = BREAK_CHARS.includes(ch);
      }
    }
  }

  /** `write_single_quoted`: `'` doubled, line breaks as empty lines, folded at spaces past the width. */
  writeSingleQuoted(text: string[], split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = text[end];
      if (spaces) {
        if (ch === undefined || ch !== ' ') {
          if (start + 1 === end && this.column > YAML_WIDTH && split && start !== 0 && end !== text.length) {
            this.writeIndent();
          } else this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAK_CHARS.includes(ch)) {
          this.writeBreaks(text, start, end);
          start = end;
        }
      } else if (ch === undefined || ` ${BREAK_CHARS}`.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''", 2);
        start = end + 1;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = BREAK_CHARS.includes(ch);
      }
    }
    this.writeIndicator("'", false);
  }

  /** `write_double_quoted`: escapes for what cannot be written as is, `\` line continuations past the width. */
  writeDoubleQuoted(text: string[], split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = text[end];
      const code = ch?.codePointAt(0) ?? 0;
      if (
        ch === undefined ||
        '"\\\x85\u2028\u2029\uFEFF'.includes(ch) ||
        !((code >= 0x20 && code <= 0x7e) || (code <= 0xfffd && code >= 0xa0 && isPrintable(code)))
      ) {
        if (start < end) {
          this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
        if (ch !== undefined) {
          this.write(`\\${escapeFor(ch, code)}`);
          start = end + 1;
        }
      }
      if (
        end > 0 &&
        end < text.length - 1 &&
        (ch === ' ' || start >= end) &&
        this.column + (end - start) > YAML_WIDTH &&
        split
      ) {
        const data = `${text.slice(start, end).join('')}\\`;
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (text[start] === ' ') this.write('\\');
      }
    }
    this.writeIndicator('"', false);
  }
}

function escapeFor(ch: string, code: number): string {
  const simple = ESCAPE_REPLACEMENTS[ch];
  if (simple !== undefined) return simple;
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return `x${hex.padStart(2, '0')}`;
  if (code <= 0xffff) return `u${hex.padStart(4, '0')}`;
  return `U${hex.padStart(8, '0')}`;
}
