import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeF32, decodeI32 } from './testdata/fixture-helpers.js';
import { parseOracle } from './testdata/oracle.js';
import { torchTopkIndices } from './torch-topk.js';

const oracle = parseOracle(readFileSync(new URL('./testdata/oracle.json', import.meta.url), 'utf8'));
const sorted = (x: Int32Array): number[] => Array.from(x).sort((a, b) => a - b);

describe('torchTopkIndices', () => {
  it('selects the k largest values when there are no ties', () => {
    expect(sorted(torchTopkIndices(Float32Array.of(0.5, 3, -1, 2, 7), 2))).toEqual([1, 4]);
    expect(sorted(torchTopkIndices(Float32Array.of(0.5, 3, -1, 2, 7), 5))).toEqual([0, 1, 2, 3, 4]);
    expect(torchTopkIndices(Float32Array.of(1, 2), 0)).toHaveLength(0);
  });

  it('puts NaN first, as torch does', () => {
    expect(sorted(torchTopkIndices(Float32Array.of(1, Number.NaN, 5), 1))).toEqual([1]);
  });

  it('breaks ties like torch: the heap path keeps the first k, the introselect path does not', () => {
    // 1000 equal values, k = 10 → k·64 ≤ n → partial_sort (heap select): indices 0..9.
    expect(sorted(torchTopkIndices(new Float32Array(1000).fill(1), 10))).toEqual([...Array(10).keys()]);
    // 20 equal values, k = 5 → nth_element: torch.topk(torch.ones(20), 5) returns 11..15.
    expect(sorted(torchTopkIndices(new Float32Array(20).fill(1), 5))).toEqual([11, 12, 13, 14, 15]);
  });

  it(`matches torch ${oracle.versions.torch} topk on ${oracle.topk.length} tie-heavy inputs`, () => {
    for (const c of oracle.topk) {
      expect(sorted(torchTopkIndices(decodeF32(c.x), c.k))).toEqual(Array.from(decodeI32(c.indices)));
    }
  });

  it('rejects k outside [0, n]', () => {
    expect(() => torchTopkIndices(Float32Array.of(1), 2)).toThrow(RangeError);
    expect(() => torchTopkIndices(Float32Array.of(1), -1)).toThrow(RangeError);
  });
});
