import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishablePackages, repoRoot } from './pack.js';

const dir = join(repoRoot, '.changeset');
const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');

describe('changesets', () => {
  it('config is valid for this workspace (fixed groups match real packages)', () => {
    // Throws (non-zero exit) when .changeset/config.json names a package or glob that matches nothing.
    execFileSync('pnpm', ['exec', 'changeset', 'status'], { cwd: repoRoot, encoding: 'utf8', stdio: 'pipe' });
  });

  it.each(files)('%s has front matter naming real packages and a sentence', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const match = /^---\n([\s\S]*?)\n---\n\n(\S[\s\S]*)$/.exec(text);
    expect(
      match,
      `${file} must start with --- front matter --- then a blank line and the summary`,
    ).not.toBeNull();
    const names = publishablePackages().map((p) => p.name);
    for (const line of match![1]!.split('\n')) {
      const entry = /^"(@peftjs\/[a-z-]+)": (major|minor|patch)$/.exec(line);
      expect(entry, `${file}: '${line}' is not "<package>": major|minor|patch`).not.toBeNull();
      expect(names, `${file} names ${entry![1]}`).toContain(entry![1]);
    }
  });
});
