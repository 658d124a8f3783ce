import { openSafetensors, type SafetensorsReader, type Tensor, type TensorInfo } from '@peftjs/safetensors';
import { numel } from './adapter-tensor.js';
import { type CheckpointIndex, parseCheckpointIndex } from './checkpoint-index.js';
import { AdapterError, wrapError } from './errors.js';
import type { FileAccess, FileSource } from './file-access.js';

/** The single-file weights name `save_pretrained` writes. */
export const SAFETENSORS_WEIGHTS_NAME = 'model.safetensors';
/** The index `save_pretrained` writes next to sharded weights. */
export const SAFETENSORS_INDEX_NAME = 'model.safetensors.index.json';

/** A base tensor's place in the checkpoint. */
export interface CheckpointTensorInfo extends TensorInfo {
  /** The safetensors file that holds it. */
  readonly file: string;
}

/** Options of {@link BaseCheckpoint.open}. */
export interface OpenBaseCheckpointOptions {
  /**
   * The weights to open: a `.safetensors` file or a `*.safetensors.index.json`. Default: `model.safetensors.index.json`,
   * else `model.safetensors`, else the folder's only `*.safetensors.index.json` / `*.safetensors`.
   */
  readonly weights?: string;
}

/**
 * A Hugging Face model checkpoint (one `model.safetensors`, or shards listed by `model.safetensors.index.json`):
 * base weights by name, read lazily one tensor at a time.
 *
 * @example
 * ```ts
 * const base = await BaseCheckpoint.open(files);
 * const w = await base.read('model.layers.0.self_attn.q_proj.weight'); // { dtype: 'F16', shape, data }
 * await base.close();
 * ```
 */
export class BaseCheckpoint {
  /** The folder the checkpoint lives in. */
  readonly files: FileAccess;
  /** The weight files, in order (shards sorted by name). */
  readonly weightFiles: readonly string[];
  /** The index file (sharded checkpoints), with its exact text. */
  readonly index: CheckpointIndex | undefined;
  private readonly readers: Map<string, SafetensorsReader>;
  private readonly byName: Map<string, CheckpointTensorInfo>;

  private constructor(
    files: FileAccess,
    readers: Map<string, SafetensorsReader>,
    index: CheckpointIndex | undefined,
  ) {
    this.files = files;
    this.readers = readers;
    this.index = index;
    this.weightFiles = [...readers.keys()];
    this.byName = new Map();
    for (const [file, reader] of readers) {
      for (const info of reader.header.tensors) {
        const seen = this.byName.get(info.name);
        if (seen !== undefined) {
          throw new AdapterError(
            'INVALID_CHECKPOINT',
            `${files.location}: tensor ${info.name} is stored in both ${seen.file} and ${file}`,
          );
        }
        this.byName.set(info.name, { ...info, file });
      }
    }
    index?.check(this.byName, files.location);
  }

  /**
   * Opens a checkpoint folder: reads the index (if any) and every shard's header, no tensor data.
   *
   * @param files - the folder
   * @param options - `weights`: which file to open
   * @returns the checkpoint; call `close()` when done
   * @throws {AdapterError} `MISSING_FILE` (no weights, a shard named by the index absent), `INVALID_FILE`
   *   (bad safetensors or index), `INVALID_CHECKPOINT` (index and shards disagree)
   */
  static async open(files: FileAccess, options: OpenBaseCheckpointOptions = {}): Promise<BaseCheckpoint> {
    const weights = options.weights ?? (await findWeights(files));
    const index = weights.endsWith('.json') ? await parseCheckpointIndex(files, weights) : undefined;
    const names = index?.files ?? [weights];
    const readers = new Map<string, SafetensorsReader>();
    try {
      for (const name of names) {
        if (!(await files.exists(name))) {
          throw new AdapterError(
            'MISSING_FILE',
            `${files.location}: ${name} is missing${index ? ` (named by ${index.name})` : ''}`,
          );
        }
        try {
          readers.set(name, await openSafetensors(await files.open(name)));
        } catch (error) {
          throw wrapError(error, 'INVALID_FILE', `${files.location}/${name} is not a valid safetensors file`);
        }
      }
      return new BaseCheckpoint(files, readers, index);
    } catch (error) {
      await Promise.all([...readers.values()].map((r) => r.close().catch(() => undefined)));
      throw error;
    }
  }

  /** Every tensor name, in file order (shard by shard, each in its data order). */
  tensorNames(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Whether the checkpoint holds `name`.
   *
   * @param name - a tensor name
   * @returns true when present
   */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * Where and how `name` is stored.
   *
   * @param name - a tensor name
   * @returns its dtype, shape, byte length and file
   * @throws {AdapterError} `TARGET_NOT_FOUND` when absent
   */
  info(name: string): CheckpointTensorInfo {
    const info = this.byName.get(name);
    if (info === undefined) {
      throw new AdapterError(
        'TARGET_NOT_FOUND',
        `${this.files.location}: the checkpoint has no tensor ${name}`,
      );
    }
    return info;
  }

  /**
   * The header entries of one weight file, in data order.
   *
   * @param file - one of {@link weightFiles}
   * @returns its tensors
   */
  tensorsOf(file: string): readonly TensorInfo[] {
    return this.reader(file).header.tensors;
  }

  /**
   * The `__metadata__` of one weight file.
   *
   * @param file - one of {@link weightFiles}
   * @returns the metadata map, or undefined
   */
  metadataOf(file: string): Readonly<Record<string, string>> | undefined {
    return this.reader(file).metadata;
  }

  /**
   * Reads one tensor's bytes (a buffer of its own when the folder's `open` honours {@link FileAccess}).
   *
   * @param name - a tensor name
   * @returns `{ name, dtype, shape, data }`
   * @throws {AdapterError} `TARGET_NOT_FOUND`, `IO_ERROR`
   */
  async read(name: string): Promise<Tensor> {
    const info = this.info(name);
    try {
      return await this.reader(info.file).read(name);
    } catch (error) {
      throw wrapError(error, 'IO_ERROR', `reading ${name} from ${this.files.location}/${info.file} failed`);
    }
  }

  /**
   * Reads bytes of one tensor into a caller's buffer (through the source's `readInto` when it has one).
   *
   * @param name - a tensor name
   * @param target - where the bytes go; `target.length` bytes are read
   * @param offset - first byte, relative to the tensor
   * @throws {AdapterError} `TARGET_NOT_FOUND`, `IO_ERROR`
   */
  async readInto(name: string, target: Uint8Array, offset = 0): Promise<void> {
    const info = this.info(name);
    const reader = this.reader(info.file);
    const source = reader.source as FileSource;
    const at = reader.header.dataOffset + info.dataOffsets[0] + offset;
    try {
      if (source.readInto) await source.readInto(at, target);
      else target.set(await source.read(at, target.length));
    } catch (error) {
      throw wrapError(error, 'IO_ERROR', `reading ${name} from ${this.files.location}/${info.file} failed`);
    }
  }

  /** Number of values over all tensors (tied weights are stored, and counted, once). */
  parameterCount(): number {
    let n = 0;
    for (const info of this.byName.values()) n += numel(info.shape);
    return n;
  }

  /** Closes every weight file. */
  async close(): Promise<void> {
    await Promise.all([...this.readers.values()].map((r) => r.close()));
  }

  private reader(file: string): SafetensorsReader {
    const reader = this.readers.get(file);
    if (reader === undefined)
      throw new AdapterError(
        'MISSING_FILE',
        `${this.files.location}: ${file} is not a weight file of this checkpoint`,
      );
    return reader;
  }
}

async function findWeights(files: FileAccess): Promise<string> {
  for (const name of [SAFETENSORS_INDEX_NAME, SAFETENSORS_WEIGHTS_NAME]) {
    if (await files.exists(name)) return name;
  }
  const listed = (await files.list?.()) ?? [];
  const indexes = listed.filter((n) => n.endsWith('.safetensors.index.json'));
  if (indexes.length === 1) return indexes[0] as string;
  const singles = listed.filter((n) => n.endsWith('.safetensors'));
  if (indexes.length === 0 && singles.length === 1) return singles[0] as string;
  throw new AdapterError(
    'MISSING_FILE',
    `${files.location} has no ${SAFETENSORS_WEIGHTS_NAME} or ${SAFETENSORS_INDEX_NAME}` +
      (indexes.length + singles.length > 1
        ? ` (found ${[...indexes, ...singles].join(', ')}; pass \`weights\`)`
        : ''),
  );
}
