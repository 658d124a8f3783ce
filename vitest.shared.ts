import { defineConfig } from 'vitest/config';

/** Resolve sibling @peftjs packages to their TypeScript sources, so tests never wait on builds. */
const conditions = ['@peftjs/source', 'node', 'import', 'module', 'default'];

/** Shared vitest settings: every package's `vitest.config.ts` re-exports this. */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@peftjs/source', 'node', 'import'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
