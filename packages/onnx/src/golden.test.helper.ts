import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsFile, toFloat32 } from '@peftjs/safetensors/node';
import { fixturePath } from '@peftjs/test-utils';
import type { BaseWeight } from './locate/types.js';
import { decodeModel } from './model/codec.js';
import { type ExternalDataSource, externalDataFromFiles } from './model/external-data.js';
import type { ModelProto } from './model/types.js';

/** The ONNX exports of each base: gpt2's dynamo export does not run in onnxruntime (fixtures/golden/README.md). */
export const EXPORTS: Readonly<Record<string, readonly string[]>> = {
  opt: ['model.onnx', 'model.dynamo.onnx'],
  gpt2: ['model.onnx'],
  bert: ['model.onnx', 'model.dynamo.onnx'],
  t5: ['model.onnx', 'model.dynamo.onnx'],
};

/** Embedding modules of each base, as PEFT names them. */
export const EMBEDDINGS: Readonly<Record<string, readonly string[]>> = {
  opt: ['model.decoder.embed_tokens', 'model.decoder.embed_positions'],
  gpt2: ['transformer.wte', 'transformer.wpe'],
  bert: [
    'bert.embeddings.word_embeddings',
    'bert.embeddings.position_embeddings',
    'bert.embeddings.token_type_embeddings',
  ],
  t5: ['shared', 'encoder.embed_tokens', 'decoder.embed_tokens'],
};

/** Tied parameters: module → the module whose weight the checkpoint stores. */
const TIED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  opt: { lm_head: 'model.decoder.embed_tokens' },
  gpt2: { lm_head: 'transformer.wte' },
  t5: { lm_head: 'shared', 'encoder.embed_tokens': 'shared', 'decoder.embed_tokens': 'shared' },
  bert: {},
};

export interface LoadedBase {
  model: ModelProto;
  bytes: Uint8Array;
  source: ExternalDataSource;
  files: { path: string; data: Uint8Array }[];
}

export function loadBase(arch: string, file: string): LoadedBase {
  const path = fixturePath('golden', 'bases', arch, file);
  const bytes = new Uint8Array(readFileSync(path));
  const files = file.includes('dynamo')
    ? [{ path: `${file}.data`, data: new Uint8Array(readFileSync(`${path}.data`)) }]
    : [];
  return { model: decodeModel(bytes), bytes, source: externalDataFromFiles(files), files };
}

/** The base checkpoint's weight of a module (tied modules read their source), as PyTorch stores it. */
export async function checkpointWeights(
  arch: string,
): Promise<(module: string) => Promise<BaseWeight | undefined>> {
  const { tensors } = await readSafetensorsFile(fixturePath('golden', 'bases', arch, 'model.safetensors'));
  return async (module) => {
    const tensor = tensors.get(`${TIED[arch]?.[module] ?? module}.weight`);
    return tensor && { data: toFloat32(tensor), shape: tensor.shape };
  };
}

/** Whether the checkpoint stores the module's weight as [in, out]: GPT-2 Conv1D and every embedding. */
export function checkpointLayout(arch: string, module: string): 'in_out' | 'out_in' {
  return arch === 'gpt2' || EMBEDDINGS[arch]?.includes(module) ? 'in_out' : 'out_in';
}

/** Adapter folders of a golden case (opt-weighted has several). */
export function adapterDirs(caseName: string): string[] {
  const dir = fixturePath('golden', 'cases', caseName);
  if (caseName !== 'opt-weighted') return [join(dir, 'adapter')];
  return readdirSync(join(dir, 'adapters'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(dir, 'adapters', d.name))
    .sort();
}

const LAYER_SUFFIX =
  /\.(lora_A|lora_B|lora_E|ia3_l|lora_embedding_A|lora_embedding_B|lora_magnitude_vector)(\.weight)?$/;

/** The adapter's tensors by key, and the modules it adapts (LoRA/IA3/AdaLoRA layers) or replaces (modules_to_save). */
export async function readAdapter(dir: string): Promise<{
  config: Record<string, unknown>;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  layers: string[];
  replaced: string[];
}> {
  const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const layers = new Set<string>();
  const replaced = new Set<string>();
  for (const [key, t] of file.tensors) {
    const name = key.replace(/^base_model\.model\./, '');
    tensors.set(name, { shape: [...t.shape], data: toFloat32(t) });
    const layer = name.match(LAYER_SUFFIX);
    if (layer) layers.add(name.slice(0, layer.index));
    else replaced.add(name.replace(/\.(weight|bias)$/, ''));
  }
  return { config, tensors, layers: [...layers].sort(), replaced: [...replaced].sort() };
}

/** Goldens cases with their base architecture. */
export function goldenCaseArchs(): { caseName: string; arch: string }[] {
  return readdirSync(fixturePath('golden', 'cases'))
    .sort()
    .map((caseName) => ({ caseName, arch: caseName.split('-')[0] as string }));
}
