/**
 * Terminal columns a character takes: 2 for East Asian wide and fullwidth characters (CJK, Hangul, fullwidth
 * forms, most emoji), 0 for combining marks and zero-width characters, else 1.
 *
 * @param codePoint - a Unicode code point
 * @returns 0, 1 or 2
 */
export function charWidth(codePoint: number): number {
  if (codePoint === 0x200b || codePoint === 0x200d || (codePoint >= 0x300 && codePoint <= 0x36f)) return 0;
  const wide =
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0x303e) ||
    (codePoint >= 0x3041 && codePoint <= 0x33ff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0xa000 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1f64f) ||
    (codePoint >= 0x1f900 && codePoint <= 0x1f9ff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd);
  return wide ? 2 : 1;
}

/**
 * Terminal columns a string takes.
 *
 * @param text - one line
 * @returns its width
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0) as number);
  return width;
}

/**
 * Breaks a text into lines at most `width` columns wide: at spaces when it can, anywhere in runs without spaces
 * (Chinese has none).
 *
 * @param text - the text (newlines become spaces)
 * @param width - columns per line (≥ 2)
 * @returns the lines (at least one)
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  let lineWidth = 0;
  const push = () => {
    lines.push(line.trimEnd());
    line = '';
    lineWidth = 0;
  };
  for (const word of text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<= )/)) {
    const w = displayWidth(word.trimEnd());
    if (lineWidth > 0 && lineWidth + w > width) push();
    for (const ch of word) {
      const cw = charWidth(ch.codePointAt(0) as number);
      if (lineWidth + cw > width && ch !== ' ') push();
      if (lineWidth === 0 && ch === ' ') continue;
      line += ch;
      lineWidth += cw;
    }
  }
  if (line !== '' || lines.length === 0) push();
  return lines;
}

/**
 * Lays out rows of cells in columns, each cell wrapped to its column, padded by display width (so Chinese lines up
 * with English), with a header and a rule under it.
 *
 * @param head - column titles
 * @param rows - cells per row
 * @param widths - each column's width in terminal columns
 * @returns the table text
 */
export function sideBySide(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  widths: readonly number[],
): string {
  const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));
  const render = (cells: readonly string[]): string[] => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i] ?? 20));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, k) =>
      wrapped
        .map((w, i) => (i === wrapped.length - 1 ? (w[k] ?? '') : pad(w[k] ?? '', widths[i] ?? 20)))
        .join(' │ ')
        .trimEnd(),
    );
  };
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [...render(head), rule, ...rows.flatMap(render)].join('\n');
}

/**
 * Column widths for `count` text columns after a first column of `first`, filling `total` terminal columns.
 *
 * @param total - the terminal's width
 * @param first - the first column's natural width
 * @param count - the other columns
 * @returns the widths (first column at most a third of the line, each at least 12)
 */
export function columnWidths(total: number, first: number, count: number): number[] {
  const separators = 3 * count;
  const firstWidth = Math.max(12, Math.min(first, Math.floor(total / 3)));
  const rest = Math.max(12 * count, total - firstWidth - separators);
  return [firstWidth, ...Array.from({ length: count }, () => Math.floor(rest / count))];
}
