import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Absolute path of a file or folder under the repo's `fixtures/` (never outside the repo). */
export function fixturePath(...parts: string[]): string {
  return join(repoRoot, 'fixtures', ...parts);
}

/** Names of the golden cases (`fixtures/golden/cases/*`). */
export function goldenCases(): string[] {
  return readdirSync(fixturePath('golden', 'cases')).sort();
}

/** Largest absolute difference between two equally long numeric arrays; throws if the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return max;
}

/** The project's tolerances: logits within 1e-4 absolute, merged weights within 1e-5. */
export const TOLERANCE = { logits: 1e-4, weights: 1e-5 } as const;
export { generatedOnnxCases, goldenOnnxCases, type OnnxCase, onnxCases } from './onnx-cases.js';
