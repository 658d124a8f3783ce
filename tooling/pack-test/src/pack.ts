import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A publishable workspace package, as its package.json describes it. */
export interface WorkspacePackage {
  dir: string;
  name: string;
  manifest: Record<string, unknown>;
}

/** Every package under packages/ that is not private. */
export function publishablePackages(): WorkspacePackage[] {
  const root = join(repoRoot, 'packages');
  return readdirSync(root)
    .sort()
    .map((entry) => join(root, entry))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      return { dir, name: String(manifest.name), manifest };
    })
    .filter((p) => p.manifest.private !== true);
}

/** Runs `pnpm pack` in the package folder and returns the tarball's path. */
export function packPackage(pkg: WorkspacePackage, destination: string): string {
  mkdirSync(destination, { recursive: true });
  const out = execFileSync('pnpm', ['pack', '--json', '--pack-destination', destination], {
    cwd: pkg.dir,
    encoding: 'utf8',
  });
  const parsed = JSON.parse(out) as { filename: string };
  return parsed.filename.startsWith('/') ? parsed.filename : join(destination, parsed.filename);
}

/**
 * Installs tarballs into `<project>/node_modules` without a registry: each tarball is unpacked in place, and
 * every third-party dependency is linked to the copy the workspace already installed.
 */
export function installTarballs(
  project: string,
  tarballs: { pkg: WorkspacePackage; tarball: string }[],
): void {
  const modules = join(project, 'node_modules');
  for (const { pkg, tarball } of tarballs) {
    const target = join(modules, pkg.name);
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    const deps = (pkg.manifest.dependencies ?? {}) as Record<string, string>;
    for (const dep of Object.keys(deps)) {
      if (dep.startsWith('@peftjs/')) continue;
      const link = join(modules, dep);
      if (existsSync(link)) continue;
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(realpathSync(join(pkg.dir, 'node_modules', dep)), link, 'dir');
    }
  }
}

/** The first ```js or ```ts code block under the README's "Quick start" heading, or undefined. */
export function quickStart(readme: string): string | undefined {
  const section = readme.split(/^## /m).find((s) => /^quick start/i.test(s));
  const match = section?.match(/```(?:js|javascript|ts|typescript)\n([\s\S]*?)```/);
  return match?.[1];
}

/** Copies files a quick start needs (the README may read `fixtures/...`) into the throwaway project. */
export function copyInto(project: string, from: string, to: string): void {
  cpSync(from, join(project, to), { recursive: true });
}
