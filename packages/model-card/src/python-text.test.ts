import { describe, expect, it } from 'vitest';
import { compareCodePoints, pyEquals, pyFloatRepr, pySplitLines, pyStrip, pyTruthy } from './python-text.js';
import { YamlFloat } from './yaml-value.js';

describe('Python semantics', () => {
  it('pyFloatRepr spells floats as repr() does (values from CPython 3.11)', () => {
    const cases: [number, string][] = [
      [1e16, '1e+16'],
      [1e-5, '1e-05'],
      [1.2345678901234568e17, '1.2345678901234568e+17'],
      [0.0001, '0.0001'],
      [1.5e300, '1.5e+300'],
      [5e-324, '5e-324'],
      [0.1, '0.1'],
      [1, '1.0'],
      [-0, '-0.0'],
      [1e15, '1000000000000000.0'],
      [123.456, '123.456'],
      [-2.5e-7, '-2.5e-07'],
      [Number.NaN, 'nan'],
      [Number.NEGATIVE_INFINITY, '-inf'],
    ];
    for (const [x, repr] of cases) expect(pyFloatRepr(x)).toBe(repr);
  });

  it('pySplitLines splits where str.splitlines() does', () => {
    expect(pySplitLines('a\nb\r\nc\rd\ve\ff\x1cg\x85h\u2028i\n')).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
      'i',
    ]);
    expect(pySplitLines('\nx\n\n')).toEqual(['', 'x', '']);
    expect(pySplitLines('')).toEqual([]);
  });

  it('pyStrip strips Unicode whitespace, not the BOM', () => {
    expect(pyStrip('\xa0\u3000 a b\x1f\n')).toBe('a b');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
  });

  it('compareCodePoints orders astral characters after U+FFFF, as Python sorts', () => {
    expect(['\u{1F600}', '\uffff'].sort(compareCodePoints)).toEqual(['\uffff', '\u{1F600}']);
  });

  it('pyTruthy and pyEquals follow Python', () => {
    expect([null, '', 0, 0n, false, [], {}, new YamlFloat(0)].map(pyTruthy)).toEqual(Array(8).fill(false));
    expect([Number.NaN, 'x', [0], { a: null }].map(pyTruthy)).toEqual(Array(4).fill(true));
    expect(pyEquals(1, true)).toBe(true);
    expect(pyEquals(new YamlFloat(1), 1n)).toBe(true);
    expect(pyEquals(Number.NaN, Number.NaN)).toBe(false);
    expect(pyEquals({ a: [1], b: 'x' }, { b: 'x', a: [true] })).toBe(true);
    expect(pyEquals('1', 1)).toBe(false);
  });
});
