import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as main from './index.js';
import * as node from './node.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module reachable from `entry` through relative imports, with its import specifiers. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map(
      (m) => m[1] as string,
    );
    graph.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) visit(join(dirname(file), s.replace(/\.js$/, '.ts')));
  };
  visit(join(here, entry));
  return graph;
}

describe('entries', () => {
  it('keeps the main entry browser-safe: nothing reachable from index.ts imports node:*', () => {
    const graph = importGraph('index.ts');
    expect(graph.size).toBeGreaterThan(5);
    const nodeImports = [...graph].flatMap(([file, specs]) =>
      specs.filter((s) => s.startsWith('node:') || !s.startsWith('.')).map((s) => `${file}: ${s}`),
    );
    expect(nodeImports).toEqual([]);
  });

  it('the node entry re-exports the main entry and adds the file functions', () => {
    for (const name of Object.keys(main)) expect(node, name).toHaveProperty(name);
    expect(Object.keys(node).filter((k) => !(k in main))).toEqual(
      expect.arrayContaining([
        'openFileSource',
        'openSafetensorsFile',
        'readSafetensorsFile',
        'writeSafetensorsFile',
      ]),
    );
  });

  it('uses the reference header limit', () => {
    expect(main.MAX_HEADER_BYTES).toBe(100_000_000);
  });
});
