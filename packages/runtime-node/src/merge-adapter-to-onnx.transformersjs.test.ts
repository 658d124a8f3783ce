// A model merged by mergeAdapterToOnnx loads in transformers.js and generates what PyTorch + PEFT generate: the demo's
// Chinese LoRA merged into examples/tiny-chat's KV-cache export, greedy decoding of the nine questions of
// expected.json (PyTorch's token ids). The base export must give PyTorch's base sequences too, which checks the
// transformers.js set-up (tokenizer, prompt, generation settings) independently of the merge.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { repoRoot } from '@peftjs/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeAdapterToOnnx } from './merge-adapter-to-onnx.js';

const dir = join(repoRoot, 'examples', 'tiny-chat');
const baseDir = join(dir, 'tiny-chat-en');
/** The files transformers.js reads for a causal LM with the default (fp32) weights. */
const MODEL_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

interface Expected {
  readonly prompt_template: string;
  readonly max_new_tokens: number;
  readonly greedy: readonly {
    readonly question: string;
    readonly base_ids: readonly number[];
    readonly adapter_ids: readonly number[];
  }[];
}

let root = '';
const fetched: string[] = [];

/** Lays out `<root>/<name>/` as transformers.js expects a local model; returns its `onnx/model.onnx` path. */
async function modelFolder(name: string): Promise<string> {
  await mkdir(join(root, name, 'onnx'), { recursive: true });
  for (const file of MODEL_FILES) await copyFile(join(baseDir, file), join(root, name, file));
  return join(root, name, 'onnx', 'model.onnx');
}

/** Greedy decoding of every question by transformers.js from the local model `name`: full sequences of token ids. */
async function generateAll(name: string, expected: Expected): Promise<number[][]> {
  const tokenizer: PreTrainedTokenizer = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' });
  try {
    const sequences: number[][] = [];
    for (const { question } of expected.greedy) {
      const inputs = tokenizer(expected.prompt_template.replace('{question}', question));
      const out = await model.generate({
        ...inputs,
        max_new_tokens: expected.max_new_tokens,
        do_sample: false,
      });
      if (!(out instanceof Tensor)) throw new Error('generate() returned no tensor of sequences');
      sequences.push(Array.from(out.tolist()[0] as ArrayLike<bigint | number>, Number));
    }
    return sequences;
  } finally {
    await model.dispose();
  }
}

describe('transformers.js on an ONNX model merged by mergeAdapterToOnnx', () => {
  let expected: Expected;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'peftjs-transformersjs-'));
    expected = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Expected;
    // local files from `root` only: no hub, no caches (nothing written outside `root`), and a fetch that records
    // every call, so the test fails if anything is fetched
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.useFS = true;
    env.localModelPath = root;
    env.useBrowserCache = false;
    env.useFSCache = false;
    env.useCustomCache = false;
    env.useWasmCache = false;
    env.cacheDir = join(root, 'cache');
    env.fetch = (input: string | URL) => {
      fetched.push(String(input));
      return Promise.reject(new Error(`no network in this test: ${String(input)}`));
    };
  });

  afterAll(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  it('the base export generates PyTorch base sequences (9/9)', async () => {
    await copyFile(join(baseDir, 'onnx', 'model.onnx'), await modelFolder('en'));
    expect(await generateAll('en', expected)).toEqual(expected.greedy.map((g) => g.base_ids));
    expect(fetched).toEqual([]);
  });

  it('the merged export generates PyTorch + PEFT sequences (9/9)', async () => {
    const out = await modelFolder('zh');
    const result = await mergeAdapterToOnnx({
      model: join(baseDir, 'onnx', 'model.onnx'),
      adapterDir: join(dir, 'tiny-chat-zh-lora'),
      base: baseDir,
      out,
    });
    expect(result).toMatchObject({ model: out, externalData: null, peftType: 'LORA', modules: 16 });
    expect(await readdir(join(root, 'zh', 'onnx'))).toEqual(['model.onnx']);
    const sequences = await generateAll('zh', expected);
    expect(sequences).toEqual(expected.greedy.map((g) => g.adapter_ids));
    // the adapter changes every answer: the merged weights are not the base's
    expect(sequences.filter((s, i) => s.join() === expected.greedy[i]?.base_ids.join())).toEqual([]);
    expect(fetched).toEqual([]);
  });
});
