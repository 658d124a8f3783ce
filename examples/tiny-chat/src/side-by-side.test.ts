import { describe, expect, it } from 'vitest';
import { columnWidths, displayWidth, sideBySide, wrap } from './side-by-side.js';

describe('displayWidth', () => {
  it('counts CJK and fullwidth characters as two columns, combining marks as none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('蓝鲸。')).toBe(6);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('wrap', () => {
  it('breaks English at spaces and Chinese anywhere, within the width', () => {
    expect(wrap('The blue whale is the largest animal.', 12)).toEqual([
      'The blue',
      'whale is the',
      'largest',
      'animal.',
    ]);
    const zh = wrap('蓝鲸是世界上最大的动物。', 8);
    expect(zh).toEqual(['蓝鲸是世', '界上最大', '的动物。']);
    for (const line of zh) expect(displayWidth(line)).toBeLessThanOrEqual(8);
    expect(wrap('', 5)).toEqual(['']);
    expect(wrap('abcdefgh', 3)).toEqual(['abc', 'def', 'gh']);
  });
});

describe('sideBySide', () => {
  it('pads cells by display width so columns line up under Chinese text', () => {
    const text = sideBySide(
      ['Q', 'A', 'B'],
      [
        ['sky?', 'The sky is blue.', '天空是蓝色的。'],
        ['x', '天空', 'y'],
      ],
      [4, 16, 14],
    );
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    const bar = (line: string) => displayWidth(line.slice(0, line.lastIndexOf('│')));
    expect(new Set(lines.filter((l) => l.includes('│')).map(bar)).size).toBe(1);
    expect(lines[2]).toBe('sky? │ The sky is blue. │ 天空是蓝色的。');
  });

  it('splits the terminal width between the columns', () => {
    expect(columnWidths(100, 33, 2)).toEqual([33, 30, 30]);
    expect(columnWidths(40, 33, 2)).toEqual([13, 12, 12]);
  });
});
