import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTarballs, packPackage, publishablePackages, quickStart, repoRoot } from './pack.js';

const packages = publishablePackages();
const project = mkdtempSync(join(tmpdir(), 'peftjs-pack-'));
const tarballs: { pkg: (typeof packages)[number]; tarball: string }[] = [];

beforeAll(() => {
  for (const pkg of packages) tarballs.push({ pkg, tarball: packPackage(pkg, join(project, 'tarballs')) });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  installTarballs(project, tarballs);
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('pack-test itself', () => {
  it('depends on every publishable package, so turbo builds them first', () => {
    const own = JSON.parse(readFileSync(join(repoRoot, 'tooling/pack-test/package.json'), 'utf8'));
    const listed = Object.keys(own.devDependencies ?? {});
    expect(packages.map((p) => p.name).filter((n) => !listed.includes(n))).toEqual([]);
  });
});

describe.each(packages.map((p) => [p.name, p] as const))('%s', (name, pkg) => {
  const tarballOf = () => tarballs.find((t) => t.pkg.name === name)!.tarball;

  it('publishes an exports map with types first and no source condition', () => {
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', tarballOf(), 'package/package.json'], { encoding: 'utf8' }),
    );
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.type).toBe('module');
    for (const [subpath, target] of Object.entries(manifest.exports as Record<string, unknown>)) {
      if (typeof target === 'string') continue;
      const keys = Object.keys(target as object);
      expect(keys[0], `${name} exports["${subpath}"]`).toBe('types');
      expect(keys).not.toContain('@peftjs/source');
    }
    for (const dep of Object.values({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      expect(String(dep)).not.toMatch(/^(workspace|catalog):/);
    }
  });

  it('ships dist with declarations, a README, and no tests', () => {
    const files = execFileSync('tar', ['-tzf', tarballOf()], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files.filter((f) => /\.test\.|\/src\//.test(f))).toEqual([]);
  });

  it('imports every export subpath from a plain Node ESM project', () => {
    const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8'));
    const subpaths = Object.keys(manifest.publishConfig?.exports ?? manifest.exports).filter(
      (s) => !s.endsWith('.json'),
    );
    for (const subpath of subpaths) {
      const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
      const script = `const m = await import(${JSON.stringify(specifier)}); console.log(Object.keys(m).length);`;
      const out = execFileSync('node', ['--input-type=module', '-e', script], {
        cwd: project,
        encoding: 'utf8',
      });
      expect(Number(out.trim()), `${specifier} exports something`).toBeGreaterThan(0);
    }
  });

  it("runs the README's quick start", () => {
    const code = quickStart(readFileSync(join(pkg.dir, 'README.md'), 'utf8'));
    expect(code, `${name}/README.md needs a "## Quick start" with a js code block`).toBeDefined();
    const file = join(project, `quick-start-${name.replace(/\W/g, '_')}.mjs`);
    writeFileSync(file, code!);
    execFileSync('node', [file], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
  });
});
