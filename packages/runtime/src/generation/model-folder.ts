import { AdapterError } from '../errors.js';
import { type FileAccess, readAllText } from '../file-access.js';
import { type ModelConfig, parseModelConfig } from './model-config.js';
import { TextTokenizer } from './text-tokenizer.js';

/** The non-ONNX files of a model folder in transformers.js' layout, parsed. */
export interface TextModelFiles {
  /** `config.json`. */
  readonly config: ModelConfig;
  /** `generation_config.json` (`{}` when absent). */
  readonly generationConfig: Readonly<Record<string, unknown>>;
  /** `tokenizer.json` + `tokenizer_config.json` (+ `chat_template.jinja`). */
  readonly tokenizer: TextTokenizer;
}

/** Where transformers.js keeps a model's graphs inside its folder. */
export const ONNX_SUBFOLDER = 'onnx';

async function readJson(files: FileAccess, name: string, optional: boolean): Promise<unknown> {
  if (optional && !(await files.exists(name))) return {};
  const text = await readAllText(files, name);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new AdapterError('INVALID_FILE', `${files.location}/${name} is not valid JSON: ${String(cause)}`, {
      cause,
    });
  }
}

function asObject(value: unknown, name: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AdapterError('INVALID_FILE', `${name} must hold a JSON object, got ${JSON.stringify(value)}`);
  }
  return value as Readonly<Record<string, unknown>>;
}

/**
 * Reads a model folder laid out as transformers.js and Optimum write them: `config.json`, `tokenizer.json`,
 * optional `tokenizer_config.json`, `generation_config.json` and `chat_template.jinja` (the graphs live in
 * `onnx/`, read by the platform).
 *
 * @param files - the folder
 * @returns the parsed config, generation config and tokenizer
 * @throws {AdapterError} `MISSING_FILE` (no `config.json` or `tokenizer.json`), `INVALID_FILE`
 * @example
 * ```ts
 * const { config, tokenizer } = await readTextModelFiles(nodeFiles('examples/tiny-chat/tiny-chat-en'));
 * ```
 */
export async function readTextModelFiles(files: FileAccess): Promise<TextModelFiles> {
  const config = parseModelConfig(await readJson(files, 'config.json', false));
  const generationConfig = asObject(
    await readJson(files, 'generation_config.json', true),
    'generation_config.json',
  );
  const tokenizerConfig = asObject(
    await readJson(files, 'tokenizer_config.json', true),
    'tokenizer_config.json',
  );
  const tokenizerJson = await readJson(files, 'tokenizer.json', false);
  const template = (await files.exists('chat_template.jinja'))
    ? await readAllText(files, 'chat_template.jinja')
    : undefined;
  return { config, generationConfig, tokenizer: new TextTokenizer(tokenizerJson, tokenizerConfig, template) };
}
