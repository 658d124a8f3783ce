import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@peftjs/test-utils';

/** One ONNX export of a case: model, adapter, base checkpoint, inputs and PEFT's logits. */
export interface OnnxCliCase {
  readonly id: string;
  readonly model: string;
  readonly adapterDir: string;
  readonly baseDir: string;
  readonly inputs: string;
  readonly expected: string;
  /** The reference with the adapter active (f16: onnxruntime on PEFT's merged model). */
  readonly adapterKey: string;
}

/** Every golden case but opt-weighted on both exports (gpt2: TorchScript only) and every generated ONNX case. */
export function onnxCases(): OnnxCliCase[] {
  const out: OnnxCliCase[] = [];
  for (const name of readdirSync(fixturePath('golden', 'cases')).sort()) {
    if (name === 'opt-weighted') continue;
    const arch = name.split('-')[0] as string;
    const baseDir = fixturePath('golden', 'bases', arch);
    for (const file of ['model.onnx', 'model.dynamo.onnx']) {
      if (arch === 'gpt2' && file !== 'model.onnx') continue; // its dynamo export is invalid in onnxruntime
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
  for (const name of readdirSync(fixturePath('generated', 'onnx')).sort()) {
    const dir = fixturePath('generated', 'onnx', name);
    for (const file of ['model.onnx', 'model.dynamo.onnx']) {
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
