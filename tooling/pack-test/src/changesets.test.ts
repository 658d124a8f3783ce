import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './pack.js';

describe('changesets', () => {
  it('config and every pending changeset parse, and name only real packages', () => {
    // `changeset status` validates .changeset/config.json (fixed groups must match packages) and each file's
    // front matter; a formatter that mangles the front matter, or a typo in a package name, fails here.
    const out = execFileSync('pnpm', ['exec', 'changeset', 'status', '--since=HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    expect(out).toContain('Packages to be bumped');
  });
});
