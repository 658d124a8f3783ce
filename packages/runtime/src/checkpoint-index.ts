import { AdapterError } from './errors.js';
import { type FileAccess, readAllBytes } from './file-access.js';

/** A sharded checkpoint's `*.safetensors.index.json`. */
export interface CheckpointIndex {
  /** The index file's name. */
  readonly name: string;
  /** Its exact bytes (a merge writes them back unchanged: names, shards and sizes do not change). */
  readonly bytes: Uint8Array;
  /** `weight_map`: tensor name → shard file. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** The shard files, sorted by name. */
  readonly files: readonly string[];
  /**
   * Checks the index against the shards' headers.
   *
   * @param tensors - every tensor found in the shards, with its file
   * @param location - folder label for messages
   * @throws {AdapterError} `INVALID_CHECKPOINT` when a mapped tensor is not in its shard
   */
  check(tensors: ReadonlyMap<string, { readonly file: string }>, location: string): void;
}

/**
 * Reads and checks a Hugging Face `model.safetensors.index.json` (`{ "metadata": {…}, "weight_map": {…} }`).
 *
 * @param files - the checkpoint folder
 * @param name - the index file's name
 * @returns the index
 * @throws {AdapterError} `MISSING_FILE`, `INVALID_FILE`
 * @internal
 */
export async function parseCheckpointIndex(files: FileAccess, name: string): Promise<CheckpointIndex> {
  const bytes = await readAllBytes(files, name);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new AdapterError('INVALID_FILE', `${files.location}/${name} is not JSON`, { cause });
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new AdapterError('INVALID_FILE', `${files.location}/${name} has no "weight_map" object`);
  }
  const weightMap = new Map<string, string>();
  for (const [tensor, file] of Object.entries(map)) {
    if (typeof file !== 'string' || file.length === 0 || file.includes('..') || file.startsWith('/')) {
      throw new AdapterError(
        'INVALID_FILE',
        `${files.location}/${name}: weight_map[${JSON.stringify(tensor)}] is ${JSON.stringify(file)}, not a file in the folder`,
      );
    }
    weightMap.set(tensor, file);
  }
  const shardFiles = [...new Set(weightMap.values())].sort();
  if (shardFiles.length === 0)
    throw new AdapterError('INVALID_FILE', `${files.location}/${name}: weight_map is empty`);
  return {
    name,
    bytes,
    weightMap,
    files: shardFiles,
    check(tensors, location) {
      for (const [tensor, file] of weightMap) {
        const found = tensors.get(tensor);
        if (found?.file !== file) {
          throw new AdapterError(
            'INVALID_CHECKPOINT',
            `${location}/${name} maps ${tensor} to ${file}, but ` +
              (found === undefined ? 'no shard holds it' : `it is in ${found.file}`),
          );
        }
      }
    },
  };
}
