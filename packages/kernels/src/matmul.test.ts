import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countDiff, f32, readSafetensors, type StTensor } from '../test/helpers.js';
import { isKernelError } from './errors.js';
import { matmul, transpose } from './matmul.js';

const file = readSafetensors(
  fileURLToPath(new URL('../test/fixtures/matmul-torch.safetensors', import.meta.url)),
);
const get = (name: string): Float32Array => f32(file.get(name) as StTensor);
const shape = (name: string): number[] => (file.get(name) as StTensor).shape;

describe('matmul vs torch (CPU, MKL)', () => {
  it.each(['small', 'lora-r16'])('%s: bit for bit, in all four transposition variants', (name) => {
    const [m, k] = shape(`${name}.a`) as [number, number];
    const n = shape(`${name}.b`)[1] as number;
    const c = get(`${name}.c`);
    expect(countDiff(matmul(get(`${name}.a`), get(`${name}.b`), m, k, n), c)).toBe(0);
    expect(countDiff(matmul(get(`${name}.at`), get(`${name}.b`), m, k, n, { transA: true }), c)).toBe(0);
    expect(countDiff(matmul(get(`${name}.a`), get(`${name}.bt`), m, k, n, { transB: true }), c)).toBe(0);
    const both = matmul(get(`${name}.at`), get(`${name}.bt`), m, k, n, { transA: true, transB: true });
    expect(countDiff(both, c)).toBe(0);
  });

  it.each([
    ['narrow', 13, 16, 11],
    ['k300', 7, 300, 5],
  ] as const)(
    '%s: MKL switches kernels (n < 12, k > 192): last bits may differ, f32 accuracy holds',
    (name, m, k, n) => {
      const c = get(`${name}.c`);
      const ours = matmul(get(`${name}.a`), get(`${name}.b`), m, k, n);
      let worst = 0;
      for (let i = 0; i < c.length; i++)
        worst = Math.max(worst, Math.abs((ours[i] as number) - (c[i] as number)));
      expect(worst).toBeLessThan(1e-4);
    },
  );
});

describe('matmul properties', () => {
  it('equals the f64 product within f32 rounding, writes into out, and transposes consistently', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 6 }),
        (m, k, n) => {
          const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i + 1));
          const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 3));
          const out = new Float32Array(m * n);
          const c = matmul(a, b, m, k, n, { out });
          expect(c).toBe(out);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let t = 0; t < k; t++) s += (a[i * k + t] as number) * (b[t * n + j] as number);
              expect(Math.abs((c[i * n + j] as number) - s)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(s)));
            }
          }
          expect([...matmul(transpose(a, m, k), b, m, k, n, { transA: true })]).toEqual([...c]);
        },
      ),
    );
  });

  it('rejects inconsistent shapes', () => {
    const err = (() => {
      try {
        matmul(new Float32Array(6), new Float32Array(5), 2, 3, 2);
      } catch (e) {
        return e;
      }
    })();
    expect(isKernelError(err) && err.code).toBe('SHAPE_MISMATCH');
    expect(() => matmul(new Float32Array(0), new Float32Array(0), -1, 0, 0)).toThrow(/non-negative/);
  });
});
