import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FloatBuffer, mergeAdalora, mergeIa3, mergeIa3Bias, mergeLora } from '@peftjs/kernels';
import { readSafetensorsFile, toFloat32, toTypedArray } from '@peftjs/safetensors/node';
import { fixturePath } from '@peftjs/test-utils';
import * as ort from 'onnxruntime-node';
import type { BaseWeight } from './locate/types.js';
import type { MergeTarget } from './merge/merge-into-model.js';
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
  const dirs = readdirSync(join(dir, 'adapters'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(dir, 'adapters', d.name))
    .sort();
  if (dirs.length === 0)
    throw new Error(`golden case ${caseName}: no adapter folders in ${join(dir, 'adapters')}`);
  return dirs;
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

/**
 * Golden cases with their base architecture.
 * @throws Error when there are no cases, or a case's base has no entry in {@link EXPORTS} (its tests would silently not run).
 */
export function goldenCaseArchs(): { caseName: string; arch: string }[] {
  const cases = readdirSync(fixturePath('golden', 'cases'))
    .sort()
    .map((caseName) => ({ caseName, arch: caseName.split('-')[0] as string }));
  if (cases.length === 0) throw new Error(`no golden cases in ${fixturePath('golden', 'cases')}`);
  for (const { caseName, arch } of cases) {
    if (!EXPORTS[arch]) throw new Error(`golden case ${caseName}: base "${arch}" has no entry in EXPORTS`);
  }
  return cases;
}

/** Merge targets for every layer of a golden adapter, through the kernels (what @peftjs/runtime will do). */
export async function adapterTargets(dir: string): Promise<MergeTarget[]> {
  const { config, tensors, layers, replaced } = await readAdapter(dir);
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`adapter tensor ${name} is missing`);
    return t;
  };
  const targets: MergeTarget[] = [];
  const type = config.peft_type;
  for (const module of layers) {
    if (type === 'LORA') {
      const a = get(`${module}.lora_A.weight`);
      const b = get(`${module}.lora_B.weight`);
      const [rank, inFeatures] = a.shape as [number, number];
      const alpha = config.lora_alpha as number;
      const scaling = config.use_rslora ? alpha / Math.sqrt(rank) : alpha / (config.r as number);
      const outFeatures = b.shape[0] as number;
      targets.push({
        module,
        kind: 'linear',
        merge: (w, { fanInFanOut }) =>
          mergeLora(w, { a: a.data, b: b.data, rank, inFeatures, outFeatures, scaling, fanInFanOut }),
      });
    } else if (type === 'IA3') {
      const l = get(`${module}.ia3_l`).data;
      const feedforward = (config.feedforward_modules as string[]).some((f) => module.endsWith(f));
      targets.push({
        module,
        kind: 'linear',
        merge: (w, { fanInFanOut }) => mergeIa3(w, { l, feedforward, fanInFanOut }),
        ...(feedforward ? {} : { mergeBias: (bias: FloatBuffer) => mergeIa3Bias(bias, { l, feedforward }) }),
      });
    } else if (type === 'ADALORA') {
      const a = get(`${module}.lora_A`);
      const [rank, inFeatures] = a.shape as [number, number];
      const ada = {
        a: a.data,
        e: get(`${module}.lora_E`).data,
        b: get(`${module}.lora_B`).data,
        rank,
        inFeatures,
        outFeatures: get(`${module}.lora_B`).shape[0] as number,
        scaling: config.lora_alpha as number,
        ranknum: config.init_r as number,
      };
      targets.push({
        module,
        kind: 'linear',
        merge: (w, { fanInFanOut }) => mergeAdalora(w, { ...ada, fanInFanOut }),
      });
    } else throw new Error(`unexpected peft_type ${String(type)}`);
  }
  for (const module of replaced) {
    const bias = tensors.get(`${module}.bias`);
    targets.push({
      module,
      kind: 'linear',
      replaceWeight: get(`${module}.weight`).data,
      ...(bias ? { replaceBias: bias.data } : {}),
    });
  }
  return targets;
}

/** Runs a model in onnxruntime-node on the base's inputs.safetensors; returns `logits`. */
export async function runLogits(
  arch: string,
  model: Uint8Array,
  externalData: { path: string; data: Uint8Array }[] = [],
): Promise<Float32Array> {
  const { tensors } = await readSafetensorsFile(fixturePath('golden', 'bases', arch, 'inputs.safetensors'));
  const session = await ort.InferenceSession.create(model, externalData.length > 0 ? { externalData } : {});
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const t = tensors.get(name);
      if (!t) throw new Error(`no input ${name}`);
      feeds[name] = new ort.Tensor('int64', toTypedArray(t) as BigInt64Array, t.shape);
    }
    const out = await session.run(feeds);
    return out.logits?.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** A float32 tensor of a safetensors file. */
export async function readExpected(path: string, name: string): Promise<Float32Array> {
  const { tensors } = await readSafetensorsFile(path);
  const t = tensors.get(name);
  if (!t) throw new Error(`${path} has no ${name}`);
  return toFloat32(t);
}
