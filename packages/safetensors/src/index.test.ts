import { expect, it } from 'vitest';
import { MAX_HEADER_BYTES } from './index.js';

it('uses the reference header limit', () => {
  expect(MAX_HEADER_BYTES).toBe(100_000_000);
});
