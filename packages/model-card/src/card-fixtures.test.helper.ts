// Every README.md real PEFT wrote in the repo's fixtures, with the options that describe its adapter.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixturePath } from '@peftjs/test-utils';
import { type AdapterConfigLike, type ModelCardOptions, modelCardOptionsFromConfig } from './peft-card.js';

/** What PEFT 0.21 writes as the framework line. */
export const PEFT_FRAMEWORK = 'PEFT 0.21.0';

/** A README.md PEFT wrote, and what to call to reproduce it. */
export interface CardCase {
  id: string;
  /** The README PEFT wrote. */
  readme: string;
  options: ModelCardOptions;
  /** The README a person wrote before PEFT updated it, when there was one. */
  before?: string;
  /** How many times PEFT saved into the folder when it started empty (`1` for a fresh card). */
  saves: number;
}

const read = (path: string): string => readFileSync(path, 'utf8');
const config = (dir: string): AdapterConfigLike => JSON.parse(read(join(dir, 'adapter_config.json')));

/** `case.json` of the card fixtures: the base model as PEFT saw it. */
interface CaseJson {
  base_model: string | null;
  transformers: boolean;
  model_tags: string[];
  steps?: unknown[];
}

function fromCaseJson(dir: string): ModelCardOptions {
  const c = JSON.parse(read(join(dir, 'case.json'))) as CaseJson;
  const cfg = config(dir);
  return {
    peftType: cfg.peft_type,
    taskType: cfg.task_type ?? null,
    ...(c.base_model !== null && { baseModel: c.base_model }),
    transformers: c.transformers,
    modelTags: c.model_tags,
  };
}

function findReadmes(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return findReadmes(path);
    return e.name === 'README.md' ? [path] : [];
  });
}

/** The golden cases' READMEs (PEFT wrote them; the configs beside them say the rest). */
export function goldenCardCases(): CardCase[] {
  const root = fixturePath('golden', 'cases');
  return findReadmes(root).map((path) => {
    const dir = join(path, '..');
    // opt-weighted saved several adapters into adapters/: the README is at the top, the configs below it.
    const cfgDir = existsSync(join(dir, 'adapter_config.json')) ? dir : join(dir, 'a');
    return {
      id: `golden/${relative(root, path)}`,
      readme: read(path),
      options: modelCardOptionsFromConfig(config(cfgDir)),
      saves: 1,
    };
  });
}

/** READMEs of the other generated sections (merge, combine…): fresh cards of models named `peftjs/tiny-*`. */
export function generatedCardCases(): CardCase[] {
  const root = fixturePath('generated');
  return findReadmes(root)
    .filter((path) => !relative(root, path).startsWith('card'))
    .map((path) => ({
      id: `generated/${relative(root, path)}`,
      readme: read(path),
      options: modelCardOptionsFromConfig(config(join(path, '..'))),
      saves: 1,
    }));
}

/** The card section: fresh cards and updates of cards a person wrote. */
export function cardSectionCases(): CardCase[] {
  const root = fixturePath('generated', 'card');
  const fresh = readdirSync(join(root, 'fresh')).map((name) => {
    const dir = join(root, 'fresh', name);
    return {
      id: `fresh/${name}`,
      readme: read(join(dir, 'README.md')),
      options: fromCaseJson(dir),
      saves: 1,
    };
  });
  const updates = readdirSync(join(root, 'update')).map((name): CardCase => {
    const dir = join(root, 'update', name);
    const readme = read(join(dir, 'README.md'));
    const options = fromCaseJson(dir);
    if (existsSync(join(dir, 'before.md'))) {
      return { id: `update/${name}`, readme, options, before: read(join(dir, 'before.md')), saves: 1 };
    }
    const steps = (JSON.parse(read(join(dir, 'case.json'))) as CaseJson).steps ?? [];
    return { id: `update/${name}`, readme, options, saves: steps.length };
  });
  return [...fresh, ...updates];
}
