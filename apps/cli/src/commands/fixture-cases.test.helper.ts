import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@peftjs/test-utils';

/** A merge case: adapter and base folders, PEFT's merged state dict and case.json. */
export interface MergeCase {
  readonly id: string;
  readonly baseDir: string;
  readonly adapterDir: string;
  readonly merged: string;
  readonly caseJson: { trainable_line: string; nb_trainable: [number, number] };
}

/** Every golden case with a merged.safetensors (base in golden/bases/<arch>) and every generated merge case. */
export function mergeCases(): MergeCase[] {
  const out: MergeCase[] = [];
  const add = (id: string, dir: string, baseDir: string) =>
    out.push({
      id,
      baseDir,
      adapterDir: join(dir, 'adapter'),
      merged: join(dir, 'merged.safetensors'),
      caseJson: JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')),
    });
  for (const name of readdirSync(fixturePath('golden', 'cases')).sort()) {
    const dir = fixturePath('golden', 'cases', name);
    if (name === 'opt-weighted') continue; // combinations only: no merged model, no trainable line
    add(`golden/${name}`, dir, fixturePath('golden', 'bases', name.split('-')[0] as string));
  }
  for (const name of readdirSync(fixturePath('generated', 'merge')).sort()) {
    const dir = fixturePath('generated', 'merge', name);
    add(`generated/${name}`, dir, join(dir, 'base'));
  }
  return out;
}

/** A combination PEFT made: the `peftjs combine` flags for it and the folder PEFT saved. */
export interface CombineCase {
  readonly id: string;
  /** `<set>/<label>` for generated cases (check_combine.py's layout). */
  readonly label: string;
  readonly flags: string[];
  readonly expectedDir: string;
  readonly svd: boolean;
  readonly clamp: boolean;
}

/** golden/cases/opt-weighted/adapters/<type> and generated/combine/<set>/results/<label>. */
export function combineCases(): CombineCase[] {
  const out: CombineCase[] = [];
  const golden = fixturePath('golden', 'cases', 'opt-weighted');
  const spec = JSON.parse(readFileSync(join(golden, 'case.json'), 'utf8')) as {
    weights: number[];
    sources: string[];
    combos: Record<string, { density?: number }>;
  };
  for (const [type, combo] of Object.entries(spec.combos)) {
    out.push({
      id: `golden/opt-weighted/${type}`,
      label: `opt-weighted/${type}`,
      flags: [
        ...spec.sources.flatMap((s) => ['--adapter', `${s}=${join(golden, 'adapters', s)}`]),
        '--weights',
        spec.weights.join(','),
        '--type',
        type,
        ...(combo.density === undefined ? [] : ['--density', String(combo.density)]),
      ],
      expectedDir: join(golden, 'adapters', type),
      svd: type.endsWith('svd'),
      clamp: false,
    });
  }
  for (const set of readdirSync(fixturePath('generated', 'combine')).sort()) {
    const dir = fixturePath('generated', 'combine', set);
    for (const label of readdirSync(join(dir, 'results')).sort()) {
      const p = JSON.parse(readFileSync(join(dir, 'results', label, 'params.json'), 'utf8'));
      const type: string | undefined = p.combination_type;
      const flag = (name: string, value: unknown) => (value === undefined ? [] : [name, String(value)]);
      out.push({
        id: `generated/${set}/${label}`,
        label: `${set}/${label}`,
        flags: [
          ...(p.adapters as string[]).flatMap((s) => ['--adapter', join(dir, 'adapters', s)]),
          '--weights',
          (p.weights as number[]).join(','),
          ...flag('--type', type),
          ...flag('--density', p.density),
          ...flag('--svd-rank', p.svd_rank),
          ...flag('--svd-clamp', p.svd_clamp),
          ...flag('--majority-sign', p.majority_sign_method),
        ],
        expectedDir: join(dir, 'results', label),
        svd: type?.endsWith('svd') ?? false,
        clamp: p.svd_clamp !== undefined,
      });
    }
  }
  return out;
}

/** One tensor as stored: dtype, shape and raw little-endian bytes. */
export interface StoredTensor {
  readonly dtype: string;
  readonly shape: number[];
  readonly data: Uint8Array;
}

/**
 * Reads a .safetensors file straight from the format spec (8-byte little-endian header length, JSON header,
 * data), independently of the package that wrote it.
 */
export function readSafetensorsFile(path: string): {
  metadata: Record<string, string> | undefined;
  names: string[];
  tensors: Map<string, StoredTensor>;
} {
  const bytes = new Uint8Array(readFileSync(path));
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const metadata = header.__metadata__ as Record<string, string> | undefined;
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  // File order: by data offset (the JSON key order is the writer's choice).
  entries.sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0]);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, e] of entries) {
    const data = bytes.slice(8 + length + e.data_offsets[0], 8 + length + e.data_offsets[1]);
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data });
  }
  const names = [...tensors.keys()];
  return { metadata, names, tensors };
}

/** An F32 tensor's values. */
export function float32(t: StoredTensor): Float32Array {
  if (t.dtype !== 'F32') throw new Error(`expected F32, got ${t.dtype}`);
  return new Float32Array(t.data.slice().buffer);
}

/** The base folder's weight files: the shards its index names, else model.safetensors. */
export function baseWeightFiles(dir: string): { files: string[]; index: string | undefined } {
  const index = 'model.safetensors.index.json';
  if (!existsSync(join(dir, index))) return { files: ['model.safetensors'], index: undefined };
  const map = JSON.parse(readFileSync(join(dir, index), 'utf8')).weight_map as Record<string, string>;
  return { files: [...new Set(Object.values(map))].sort(), index };
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}
