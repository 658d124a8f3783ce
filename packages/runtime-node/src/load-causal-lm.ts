import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CausalLM,
  ONNX_SUBFOLDER,
  readTextModelFiles,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_WEIGHTS_NAME,
  type SessionMode,
} from '@peftjs/runtime';
import { type CreateAdapterSessionOptions, createAdapterSession } from './create-adapter-session.js';
import { nodeFiles } from './node-files.js';

/** Options of {@link loadCausalLM}. */
export interface LoadCausalLMOptions extends Omit<CreateAdapterSessionOptions, 'model' | 'base' | 'mode'> {
  /** `'merged'` (default: adapters baked into the weights) or `'dynamic'` (switch and mix adapters per prompt). */
  readonly mode?: SessionMode;
  /** The graph inside `onnx/` (`model_fp16.onnx`, …). @defaultValue `'model.onnx'` */
  readonly modelFile?: string;
  /**
   * The base checkpoint for finding anonymous ONNX weights by value: a folder, or `false` for none.
   * @defaultValue the model folder itself when it has `model.safetensors` (or an index of shards)
   */
  readonly base?: string | false;
  /** Adapters to load, by name; the first one named is the active one. */
  readonly adapters?: Readonly<Record<string, string>>;
}

function hasCheckpoint(dir: string): boolean {
  return [SAFETENSORS_WEIGHTS_NAME, SAFETENSORS_INDEX_NAME].some((name) => existsSync(join(dir, name)));
}

/**
 * Opens a text-generation model folder in transformers.js' layout (`config.json`, `tokenizer.json`,
 * `onnx/model.onnx`, …) with onnxruntime-node, optionally loading adapters; the first adapter named is active.
 *
 * @param dir - the model folder
 * @param options - mode, graph file, base checkpoint, adapters, threads
 * @returns the model; `close()` it when done
 * @throws {AdapterError} `MISSING_FILE`, `INVALID_FILE`, and `loadAdapter`'s errors
 * @example
 * ```js
 * const lm = await loadCausalLM('examples/tiny-chat/tiny-chat-en', { adapters: { zh: 'examples/tiny-chat/tiny-chat-zh-lora' } });
 * const { text } = await lm.generate('User: What color is the sky?\nAssistant:', { maxNewTokens: 40 });
 * await lm.close();
 * ```
 */
export async function loadCausalLM(dir: string, options: LoadCausalLMOptions = {}): Promise<CausalLM> {
  const files = await readTextModelFiles(nodeFiles(dir));
  const { modelFile = 'model.onnx', base, adapters = {}, ...rest } = options;
  const baseDir = base === false ? undefined : (base ?? (hasCheckpoint(dir) ? dir : undefined));
  const session = await createAdapterSession({
    ...rest,
    model: join(dir, ONNX_SUBFOLDER, modelFile),
    ...(baseDir === undefined ? {} : { base: baseDir }),
  });
  try {
    const entries = Object.entries(adapters);
    for (const [name, path] of entries) await session.loadAdapter(path, name);
    const first = entries[0];
    if (first !== undefined && entries.length > 1) session.setAdapter(first[0]);
    return new CausalLM({ session, ...files });
  } catch (error) {
    await session.close();
    throw error;
  }
}
