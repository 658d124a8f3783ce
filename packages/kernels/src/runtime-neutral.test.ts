import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

it('the browser core (everything but the ./node entry) imports no node:* module and no Node globals', () => {
  const offenders = sources(src)
    .map((path) => relative(src, path))
    .filter((path) => path !== 'node.ts' && !path.startsWith('node/'))
    .filter((path) =>
      /from ['"]node:|\brequire\(|\bprocess\.(env|argv|exit|cwd|versions|platform|nextTick)\b|\bBuffer\.(from|alloc)/.test(
        readFileSync(join(src, path), 'utf8'),
      ),
    );
  expect(offenders).toEqual([]);
});
