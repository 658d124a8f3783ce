import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, type BackendTensor, tensorToFloat32 } from '@peftjs/runtime';
import { openSafetensorsFile } from '@peftjs/safetensors/node';
import { fixturePath } from '@peftjs/test-utils';

/** One ONNX export of a case, with where its adapter, base and expected logits are. */
export interface OnnxCase {
  /** `golden/opt-lora-basic/model.onnx`. */
  readonly id: string;
  readonly model: string;
  readonly adapterDir: string;
  /** The base checkpoint folder. */
  readonly baseDir: string;
  readonly inputs: string;
  readonly expected: string;
  /** The key of the reference logits with the adapter active. */
  readonly adapterKey: string;
}

const EXPORTS = ['model.onnx', 'model.dynamo.onnx'] as const;

/** Every golden case (but opt-weighted) on each export of its base (gpt2 has no usable dynamo export). */
export function goldenOnnxCases(): OnnxCase[] {
  const out: OnnxCase[] = [];
  for (const name of readdirSync(fixturePath('golden', 'cases')).sort()) {
    if (name === 'opt-weighted') continue;
    const arch = name.split('-')[0] as string;
    const baseDir = fixturePath('golden', 'bases', arch);
    for (const file of EXPORTS) {
      if (arch === 'gpt2' && file === 'model.dynamo.onnx') continue; // invalid in onnxruntime (Split num_outputs)
      out.push({
        id: `golden/${name}/${file}`,
        model: join(baseDir, file),
        adapterDir: fixturePath('golden', 'cases', name, 'adapter'),
        baseDir,
        inputs: join(baseDir, 'inputs.safetensors'),
        expected: fixturePath('golden', 'cases', name, 'expected.safetensors'),
        adapterKey: 'logits_adapter',
      });
    }
  }
  return out;
}

/** Every generated ONNX case on each export it has; f16 is compared with onnxruntime on PEFT's merged model. */
export function generatedOnnxCases(): OnnxCase[] {
  const out: OnnxCase[] = [];
  for (const name of readdirSync(fixturePath('generated', 'onnx')).sort()) {
    const dir = fixturePath('generated', 'onnx', name);
    for (const file of EXPORTS) {
      if (!existsSync(join(dir, file))) continue;
      out.push({
        id: `generated/${name}/${file}`,
        model: join(dir, file),
        adapterDir: fixturePath('generated', 'merge', name, 'adapter'),
        baseDir: fixturePath('generated', 'merge', name, 'base'),
        inputs: join(dir, 'inputs.safetensors'),
        expected: join(dir, 'expected.safetensors'),
        adapterKey: name.endsWith('-f16') ? 'logits_merged_ort' : 'logits_adapter',
      });
    }
  }
  return out;
}

/** Reads an inputs file as int64 feeds by name. */
export async function readFeeds(path: string, backend: Backend): Promise<Record<string, BackendTensor>> {
  const reader = await openSafetensorsFile(path);
  try {
    const feeds: Record<string, BackendTensor> = {};
    for (const name of reader.tensorNames()) {
      const t = await reader.read(name);
      if (t.dtype !== 'I64') throw new Error(`${path}: ${name} is ${t.dtype}, expected I64`);
      feeds[name] = backend.tensor('int64', new BigInt64Array(t.data.slice().buffer), t.shape);
    }
    return feeds;
  } finally {
    await reader.close();
  }
}

/** Reads every tensor of a safetensors file as float32. */
export async function readFloat32s(path: string): Promise<Record<string, Float32Array>> {
  const reader = await openSafetensorsFile(path);
  try {
    const out: Record<string, Float32Array> = {};
    for (const name of reader.tensorNames()) out[name] = await reader.readFloat32(name);
    return out;
  } finally {
    await reader.close();
  }
}

/** The `logits` output of a run, as float32 (T5 exports also return the encoder's output). */
export function logitsOf(outputs: Record<string, BackendTensor>): Float32Array {
  const logits = outputs.logits;
  if (logits === undefined) throw new Error(`no logits output among ${Object.keys(outputs).join(', ')}`);
  return tensorToFloat32(logits);
}
