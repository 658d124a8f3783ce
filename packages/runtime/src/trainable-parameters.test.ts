import { describe, expect, it } from 'vitest';
import { mergeCases, openCase, readCaseJson } from './fixture-folder.test.helper.js';
import { formatFixed4, formatThousands } from './python-format.js';
import { countParameters, formatTrainableLine } from './trainable-parameters.js';

const cases = mergeCases();

describe('print_trainable_parameters() of every case', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const { adapter, base } = await openCase(c);
    const expected = readCaseJson(c);
    const count = countParameters(adapter, base);
    expect([count.trainable, count.all]).toEqual(expected.nb_trainable);
    expect(formatTrainableLine(count)).toBe(expected.trainable_line);
  });
});

describe('Python number formatting', () => {
  it('groups thousands like f"{n:,d}"', () => {
    expect([0, 7, 999, 1000, 23360, 125534208, -1234].map(formatThousands)).toEqual([
      '0',
      '7',
      '999',
      '1,000',
      '23,360',
      '125,534,208',
      '-1,234',
    ]);
  });

  it('rounds exact ties to even like f"{x:.4f}" (JS toFixed rounds them up)', () => {
    // Python: f"{x:.4f}" for each value.
    const cases: [number, string][] = [
      [0.03125, '0.0312'],
      [0.09375, '0.0938'],
      [1.00005, '1.0001'], // not a tie: the double is above 1.00005
      [0.00015, '0.0001'], // the double is below 0.00015
      [2.5, '2.5000'],
      [100, '100.0000'],
      [4.383561643835616, '4.3836'],
      [0.2349, '0.2349'],
      [12.34375, '12.3438'],
      [12.40625, '12.4062'],
    ];
    expect(cases.map(([x]) => formatFixed4(x))).toEqual(cases.map(([, s]) => s));
    expect((0.03125).toFixed(4)).toBe('0.0313');
  });
});
