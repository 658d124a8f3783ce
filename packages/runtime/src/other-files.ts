import type { BaseCheckpoint } from './base-checkpoint.js';

/**
 * Files a merged checkpoint takes over from its base folder when the folder cannot be listed (over HTTP): the
 * model config and the tokenizer files `save_pretrained` / tokenizers write.
 */
export const KNOWN_CHECKPOINT_FILES: readonly string[] = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  'tokenizer.model',
  'spiece.model',
  'sentencepiece.bpe.model',
  'chat_template.jinja',
  'chat_template.json',
  'preprocessor_config.json',
  'processor_config.json',
  'README.md',
  'LICENSE',
];

/**
 * Weights in other formats (they would describe the unmerged model) and their indexes: never copied. `.onnx`
 * exports of the base are left out for the same reason.
 */
const WEIGHT_FILE =
  /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|onnx_data|onnx\.data|gguf|ot|index\.json)$/i;

/**
 * The base folder's files a merge copies unchanged: everything directly in the folder except weight files (of
 * any format), weight indexes and hidden files; when the folder cannot be listed, those of
 * {@link KNOWN_CHECKPOINT_FILES} that exist.
 *
 * @param base - the base checkpoint
 * @returns file names, sorted
 * @internal
 */
export async function otherCheckpointFiles(base: BaseCheckpoint): Promise<string[]> {
  const { files } = base;
  const listed = await files.list?.();
  if (listed === undefined) {
    const found: string[] = [];
    for (const name of KNOWN_CHECKPOINT_FILES) if (await files.exists(name)) found.push(name);
    return found;
  }
  const own = new Set([...base.weightFiles, ...(base.index ? [base.index.name] : [])]);
  return listed
    .filter((n) => !own.has(n) && !n.startsWith('.') && !n.includes('/') && !WEIGHT_FILE.test(n))
    .sort();
}
