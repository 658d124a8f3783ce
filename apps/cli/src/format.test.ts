import { describe, expect, it } from 'vitest';
import { bytes, count, num, progress, table } from './format.js';

describe('format', () => {
  it('aligns tables under a rule', () => {
    expect(
      table(
        ['a', 'bb'],
        [
          ['long', 'x'],
          ['s', 'yy'],
        ],
      ),
    ).toBe('a     bb\n----  --\nlong  x\ns     yy');
  });
  it('prints sizes and counts for people', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(count(1234567)).toBe('1,234,567');
    expect(num(0.1 + 0.2)).toBe('0.3');
    expect(num(16)).toBe('16');
  });
  it('shows progress only on a terminal', () => {
    const written: string[] = [];
    const p = progress({ write: (t: string) => written.push(t) }, 'merge');
    p.update(1, 2);
    p.end();
    expect(written).toEqual([]);
    const tty = progress({ write: (t: string) => written.push(t), isTTY: true }, 'merge');
    tty.update(2, 2, 'done');
    tty.end();
    expect(written.join('')).toContain('100%');
  });
});
