// Test-only helpers: a minimal safetensors reader and the PEFT fixture layout (Node only).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@peftjs/test-utils';

/** One tensor of a safetensors file: dtype name, shape and its own (aligned) copy of the bytes. */
export interface StTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Reads every tensor of a .safetensors file. */
export function readSafetensors(path: string): Map<string, StTensor> {
  const file = readFileSync(path);
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, StTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    const bytes = new Uint8Array(file.subarray(8 + headerLength + start, 8 + headerLength + end)); // copy
    out.set(name, { dtype: info.dtype, shape: info.shape, bytes });
  }
  return out;
}

/** The tensors of a base model folder (single file or shards with an index). */
export function readModel(dir: string): Map<string, StTensor> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return readSafetensors(single);
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
    weight_map: Record<string, string>;
  };
  const out = new Map<string, StTensor>();
  for (const shard of new Set(Object.values(index.weight_map))) {
    for (const [k, v] of readSafetensors(join(dir, shard))) out.set(k, v);
  }
  return out;
}

/** A tensor by name, or a thrown error naming what is missing. */
export function tensor(map: Map<string, StTensor>, name: string): StTensor {
  const t = map.get(name);
  if (t === undefined) throw new Error(`tensor ${name} not found`);
  return t;
}

/** An F32 tensor's values. */
export function f32(t: StTensor): Float32Array {
  if (t.dtype !== 'F32') throw new Error(`expected F32, got ${t.dtype}`);
  return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
}

/** An F16/BF16 tensor's raw bits. */
export function u16(t: StTensor): Uint16Array {
  if (t.dtype !== 'F16' && t.dtype !== 'BF16') throw new Error(`expected F16/BF16, got ${t.dtype}`);
  return new Uint16Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 2);
}

/** One merge case: base model, adapter tensors and config, and PEFT's merged state dict. */
export interface MergeCase {
  base: Map<string, StTensor>;
  adapter: Map<string, StTensor>;
  merged: Map<string, StTensor>;
  config: Record<string, unknown>;
}

/** Loads `fixtures/generated/merge/<name>` or `fixtures/golden/cases/<name>` (with `golden/bases/<arch>`). */
export function loadCase(kind: 'generated' | 'golden', name: string, arch?: string): MergeCase {
  const dir =
    kind === 'generated' ? fixturePath('generated', 'merge', name) : fixturePath('golden', 'cases', name);
  const baseDir = kind === 'generated' ? join(dir, 'base') : fixturePath('golden', 'bases', arch ?? '');
  return {
    base: readModel(baseDir),
    adapter: readSafetensors(join(dir, 'adapter', 'adapter_model.safetensors')),
    merged: readSafetensors(join(dir, 'merged.safetensors')),
    config: JSON.parse(readFileSync(join(dir, 'adapter', 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >,
  };
}

/** Module paths (without `base_model.model.`) of adapter keys ending in `suffix`. */
export function modules(adapter: Map<string, StTensor>, suffix: string): string[] {
  const prefix = 'base_model.model.';
  return [...adapter.keys()]
    .filter((k) => k.endsWith(suffix))
    .map((k) => k.slice(prefix.length, k.length - suffix.length))
    .sort();
}

/** The adapter tensor of `module` with the given suffix (e.g. `.lora_A.weight`). */
export function adapterTensor(c: MergeCase, module: string, suffix: string): StTensor {
  return tensor(c.adapter, `base_model.model.${module}${suffix}`);
}

/** Number of positions where two bit arrays differ. */
export function countDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** The `__metadata__` of a .safetensors file. */
export function readMetadata(path: string): Record<string, string> {
  const file = readFileSync(path);
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as {
    __metadata__?: Record<string, string>;
  };
  return header.__metadata__ ?? {};
}

/** A tensor as a kernel weight (`[rows, cols]`; 1-D tensors as `[1, n]`), copied. */
export function toWeight(t: StTensor): {
  data: Float32Array | Uint16Array;
  dtype: 'f32' | 'f16' | 'bf16';
  rows: number;
  cols: number;
} {
  const dtype = t.dtype === 'F32' ? 'f32' : t.dtype === 'F16' ? 'f16' : 'bf16';
  const data = dtype === 'f32' ? f32(t).slice() : u16(t).slice();
  const [rows, cols] =
    t.shape.length === 1 ? [1, t.shape[0] as number] : [t.shape[0] as number, t.shape[1] as number];
  return { data, dtype, rows, cols };
}
