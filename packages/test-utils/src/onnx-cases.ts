import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from './index.js';

/** One ONNX export of a fixture case: model, adapter, base checkpoint, inputs and PEFT's logits. */
export interface OnnxCase {
  /** `golden/opt-lora-basic/model.onnx`. */
  readonly id: string;
  readonly model: string;
  readonly adapterDir: string;
  /** The base checkpoint folder. */
  readonly baseDir: string;
  readonly inputs: string;
  readonly expected: string;
  /** The key of the reference logits with the adapter active (f16: onnxruntime on PEFT's merged model). */
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

/** The golden then the generated ONNX cases. */
export function onnxCases(): OnnxCase[] {
  return [...goldenOnnxCases(), ...generatedOnnxCases()];
}
