import { type Backend, type BackendTensor, tensorToFloat32 } from '@peftjs/runtime';
import { openSafetensorsFile } from '@peftjs/safetensors/node';

export { generatedOnnxCases, goldenOnnxCases, type OnnxCase } from '@peftjs/test-utils';

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
