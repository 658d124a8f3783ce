import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, type Tensor } from '@peftjs/safetensors';
import { fixturePath } from '@peftjs/test-utils';
import type { Adapter } from './adapter.js';
import { BaseCheckpoint } from './base-checkpoint.js';
import { type FileAccess, memoryFiles } from './file-access.js';
import { openAdapter } from './open-adapter.js';

/** A fixture folder (path parts under `fixtures/`) as an in-memory {@link FileAccess}. */
export function fixtureFolder(...parts: string[]): FileAccess {
  const dir = fixturePath(...parts);
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir)) {
    if (statSync(join(dir, name)).isFile()) files.set(name, new Uint8Array(readFileSync(join(dir, name))));
  }
  return memoryFiles(files, dir);
}

/** A merge case: adapter folder, base folder, merged.safetensors, case.json. */
export interface MergeCase {
  readonly id: string;
  readonly adapter: string[];
  readonly base: string[];
  readonly merged: string[];
  readonly caseJson: string[];
}

const GOLDEN_BASE: Record<string, string> = { opt: 'opt', gpt2: 'gpt2', bert: 'bert', t5: 't5' };

/** Every golden and generated merge case (golden: base from `golden/bases/<arch>`). */
export function mergeCases(): MergeCase[] {
  const cases: MergeCase[] = [];
  for (const name of readdirSync(fixturePath('golden', 'cases')).sort()) {
    const dir = ['golden', 'cases', name];
    try {
      statSync(fixturePath(...dir, 'merged.safetensors'));
    } catch {
      continue;
    }
    const arch = GOLDEN_BASE[name.split('-')[0] as string];
    if (arch === undefined) throw new Error(`no golden base for ${name}`);
    cases.push({
      id: `golden/${name}`,
      adapter: [...dir, 'adapter'],
      base: ['golden', 'bases', arch],
      merged: [...dir, 'merged.safetensors'],
      caseJson: [...dir, 'case.json'],
    });
  }
  for (const name of readdirSync(fixturePath('generated', 'merge')).sort()) {
    const dir = ['generated', 'merge', name];
    cases.push({
      id: `generated/${name}`,
      adapter: [...dir, 'adapter'],
      base: [...dir, 'base'],
      merged: [...dir, 'merged.safetensors'],
      caseJson: [...dir, 'case.json'],
    });
  }
  return cases;
}

/** A case's `case.json`. */
export function readCaseJson(c: MergeCase): { trainable_line: string; nb_trainable: [number, number] } {
  return JSON.parse(readFileSync(fixturePath(...c.caseJson), 'utf8'));
}

/** A fixture safetensors file, read whole. */
export async function readFixtureTensors(...parts: string[]): Promise<Map<string, Tensor>> {
  return (await readSafetensors(new Uint8Array(readFileSync(fixturePath(...parts))))).tensors;
}

/** Opens a merge case's adapter and base from the fixtures. */
export async function openCase(c: MergeCase): Promise<{ adapter: Adapter; base: BaseCheckpoint }> {
  const adapter = await openAdapter(fixtureFolder(...c.adapter));
  const base = await BaseCheckpoint.open(fixtureFolder(...c.base));
  return { adapter, base };
}
