import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { f16ToF32 } from '@peftjs/kernels';
import {
  type BaseWeightFn,
  decodeModel,
  encodeModel,
  externalDataFromFiles,
  type InjectedAdapterBranches,
  injectAdapterBranches,
  type ModelProto,
} from '@peftjs/onnx';
import { readSafetensors, toFloat32, toTypedArray } from '@peftjs/safetensors';
import { fixturePath } from '@peftjs/test-utils';
import type { Adapter } from '../adapter.js';
import { BaseCheckpoint } from '../base-checkpoint.js';
import { fixtureFolder } from '../fixture-folder.test.helper.js';
import { openAdapter } from '../open-adapter.js';
import { mergeTargets } from '../session/merge-targets.js';
import { SessionModel } from '../session/session-model.js';
import type { AdapterFeeds } from './build-adapter-feeds.js';
import { dynamicTargets } from './dynamic-targets.js';

/** The part of onnxruntime's API these tests use. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  InferenceSession: {
    create(
      model: Uint8Array,
      options?: { externalData?: { path: string; data: Uint8Array }[] },
    ): Promise<OrtSession>;
  };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}

// @peftjs/runtime is backend-agnostic and does not depend on onnxruntime; these tests borrow @peftjs/onnx's
// development copy of onnxruntime-node instead of adding a dependency
const require = createRequire(import.meta.url);
/** onnxruntime-node (CPU). */
export const ort = createRequire(require.resolve('@peftjs/onnx/package.json'))('onnxruntime-node') as Ort;

/** One ONNX export of a fixture case. */
export interface DynamicCase {
  /** `golden/opt-lora-basic/model.onnx`. */
  readonly id: string;
  readonly modelDir: string;
  readonly file: string;
  readonly adapter: string[];
  readonly base: string[];
  readonly inputs: string;
  readonly expected: string;
  /** PEFT's logits with the adapter active (the f16 case: onnxruntime on PEFT's merged export). */
  readonly adapterKey: string;
}

/** Every golden case (opt-weighted apart) and generated ONNX case, on each export onnxruntime runs. */
export function dynamicCases(): DynamicCase[] {
  const out: DynamicCase[] = [];
  for (const name of readdirSync(fixturePath('golden', 'cases')).sort()) {
    if (name === 'opt-weighted') continue;
    const arch = name.split('-')[0] as string;
    const modelDir = fixturePath('golden', 'bases', arch);
    // gpt2's dynamo export is invalid in onnxruntime (fixtures/golden/README.md)
    for (const file of arch === 'gpt2' ? ['model.onnx'] : ['model.onnx', 'model.dynamo.onnx']) {
      out.push({
        id: `golden/${name}/${file}`,
        modelDir,
        file,
        adapter: ['golden', 'cases', name, 'adapter'],
        base: ['golden', 'bases', arch],
        inputs: join(modelDir, 'inputs.safetensors'),
        expected: fixturePath('golden', 'cases', name, 'expected.safetensors'),
        adapterKey: 'logits_adapter',
      });
    }
  }
  for (const name of readdirSync(fixturePath('generated', 'onnx')).sort()) {
    const modelDir = fixturePath('generated', 'onnx', name);
    for (const file of ['model.onnx', 'model.dynamo.onnx']) {
      if (!existsSync(join(modelDir, file))) continue;
      out.push({
        id: `generated/${name}/${file}`,
        modelDir,
        file,
        adapter: ['generated', 'merge', name, 'adapter'],
        base: ['generated', 'merge', name, 'base'],
        inputs: join(modelDir, 'inputs.safetensors'),
        expected: join(modelDir, 'expected.safetensors'),
        adapterKey: name.endsWith('-f16') ? 'logits_merged_ort' : 'logits_adapter',
      });
    }
  }
  return out;
}

/** A model and its external data files. */
export interface ModelFiles {
  readonly bytes: Uint8Array;
  readonly externalData: { path: string; data: Uint8Array }[];
}

/** Reads an export and its `.data` file, if any. */
export function readModel(dir: string, file: string): ModelFiles {
  const bytes = new Uint8Array(readFileSync(join(dir, file)));
  const data = join(dir, `${file}.data`);
  return {
    bytes,
    externalData: existsSync(data)
      ? [{ path: `${file}.data`, data: new Uint8Array(readFileSync(data)) }]
      : [],
  };
}

/** Opens an adapter folder of the fixtures. */
export function openFixtureAdapter(parts: string[]): Promise<Adapter> {
  return openAdapter(fixtureFolder(...parts));
}

/** The checkpoint's weight of a module, for locating anonymous weights by value. */
export function checkpointWeights(base: BaseCheckpoint): BaseWeightFn {
  return async (module) => {
    const name = `${module}.weight`;
    if (!base.has(name)) return undefined;
    const tensor = await base.read(name);
    return tensor.shape.length === 2 ? { data: toFloat32(tensor), shape: tensor.shape } : undefined;
  };
}

/**
 * The dynamic mode as a session wires it: the parameters every loaded adapter writes into the base (trained
 * biases, saved embedding layers) merged into the model first (the session's `mergeTargets(loaded, [])`), then
 * the graph rewritten once for the adapters' targets.
 */
export async function prepareDynamic(
  c: Pick<DynamicCase, 'modelDir' | 'file' | 'base'>,
  adapters: readonly Adapter[],
): Promise<{ prepared: ModelFiles; injected: InjectedAdapterBranches }> {
  const files = readModel(c.modelDir, c.file);
  const base = await BaseCheckpoint.open(fixtureFolder(...c.base));
  const session = SessionModel.open(files, base);
  const plans = await Promise.all(adapters.map((a) => session.plan(a)));
  const built = await session.build(await mergeTargets(plans, []));
  const prepared = { bytes: built.bytes, externalData: [...built.externalData] };
  const model: ModelProto = decodeModel(built.bytes);
  const injected = await injectAdapterBranches(model, dynamicTargets(adapters), {
    source: externalDataFromFiles(prepared.externalData),
    baseWeight: checkpointWeights(base),
  });
  return { prepared, injected };
}

/** A loaded model and the int64 inputs of its case. */
export class Runner {
  private constructor(
    private readonly session: OrtSession,
    private readonly inputs: Record<string, OrtTensor>,
  ) {}

  /** Creates a session on a model with the case's inputs. */
  static async open(model: ModelFiles, inputsPath: string): Promise<Runner> {
    const session = await ort.InferenceSession.create(model.bytes, { externalData: model.externalData });
    const { tensors } = await readSafetensors(new Uint8Array(readFileSync(inputsPath)));
    const inputs: Record<string, OrtTensor> = {};
    for (const [name, t] of tensors) inputs[name] = new ort.Tensor('int64', toTypedArray(t), t.shape);
    return new Runner(session, inputs);
  }

  /** Rows of the case's inputs. */
  get batchSize(): number {
    return this.inputs.input_ids?.dims[0] ?? 0;
  }

  /** Runs once with the adapter feeds; returns the logits. */
  async logits(feeds: AdapterFeeds = {}): Promise<Float32Array> {
    const all: Record<string, OrtTensor> = {};
    for (const name of this.session.inputNames) {
      const input = this.inputs[name];
      const feed = feeds[name];
      if (input) all[name] = input;
      else if (feed) all[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
      else throw new Error(`no feed for input ${name}`);
    }
    const logits = (await this.session.run(all)).logits;
    if (!logits) throw new Error('the model has no logits output');
    // float16 models return float16 logits (as Uint16Array bits)
    return logits.type === 'float16' ? f16ToF32(logits.data as Uint16Array) : (logits.data as Float32Array);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** The rewritten model as onnxruntime reads it, with the prepared model's external data. */
export function rewrittenFiles(prepared: ModelFiles, injected: InjectedAdapterBranches): ModelFiles {
  return { bytes: encodeModel(injected.model), externalData: prepared.externalData };
}

/** A tensor of a fixture safetensors file as float32. */
export async function readExpected(path: string, name: string): Promise<Float32Array> {
  const { tensors } = await readSafetensors(new Uint8Array(readFileSync(path)));
  const t = tensors.get(name);
  if (!t) throw new Error(`${path} has no ${name}`);
  return toFloat32(t);
}
