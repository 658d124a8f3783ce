import { type LazyTensorInput, serializeSafetensorsStream } from '@peftjs/safetensors';
import type { Adapter } from './adapter.js';
import type { BaseCheckpoint } from './base-checkpoint.js';
import { BufferRing } from './buffer-ring.js';
import { AdapterError, wrapError } from './errors.js';
import type { FileAccess } from './file-access.js';
import { type MergePlan, type PlannedTensor, planMerge } from './merge-plan.js';
import { type MergePool, mergeTensor } from './merge-tensor.js';
import { otherCheckpointFiles } from './other-files.js';

/**
 * Where a merge writes the new checkpoint: `@peftjs/runtime-node` writes a folder through temporary files; a
 * browser can collect the files in memory. Nothing may appear under its final name before `commit()`.
 */
export interface CheckpointWriter {
  /**
   * Writes one file of the output from its chunks (to a temporary place until `commit()`). The merge reuses its
   * buffers: a chunk's bytes stay valid only until the chunk after the next one is requested, so write (or copy)
   * each chunk before asking for the one after next — one write in flight at a time.
   */
  writeFile(name: string, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** Copies a file of the base folder unchanged; without it the merge streams the file through `writeFile`. */
  copyFile?(from: FileAccess, name: string): Promise<void>;
  /** Makes every written file visible under its final name. */
  commit(): Promise<void>;
  /** Removes everything written so far (called when the merge fails). */
  abort(): Promise<void>;
}

/** One progress report: `done` of `total` base tensors are written; `tensor` is the one just finished. */
export interface MergeProgress {
  /** Tensors finished so far. */
  readonly done: number;
  /** Tensors in the checkpoint. */
  readonly total: number;
  /** The tensor just finished. */
  readonly tensor: string;
  /** The weight file it belongs to. */
  readonly file: string;
  /** Whether the adapter changed it. */
  readonly changed: boolean;
}

/** Options of {@link mergeAdapter}. */
export interface MergeAdapterOptions {
  /** The base checkpoint. */
  readonly base: BaseCheckpoint;
  /** The adapter to merge. */
  readonly adapter: Adapter;
  /** Where the merged checkpoint goes. */
  readonly writer: CheckpointWriter;
  /** Called after each tensor is written. */
  readonly onProgress?: (progress: MergeProgress) => void;
  /** Worker pool for big tensors (`createKernelPool()` from `@peftjs/kernels/node`). */
  readonly pool?: MergePool;
  /** Cancels the merge (nothing is left written). */
  readonly signal?: AbortSignal;
  /** Copy the base folder's other files (config.json, tokenizer files, …). @defaultValue true */
  readonly copyOtherFiles?: boolean;
  /** Unchanged tensors are streamed in pieces of at most this many bytes. @defaultValue 16 MiB */
  readonly chunkBytes?: number;
  /**
   * Allocates the merge's two working buffers (each as big as the largest changed tensor). `@peftjs/runtime-node`
   * passes `SharedArrayBuffer`-backed memory so a worker pool merges in place. @defaultValue `new Uint8Array(n)`
   */
  readonly allocate?: (bytes: number) => Uint8Array;
}

/** What {@link mergeAdapter} wrote. */
export interface MergeResult {
  /** Weight files written (same names as the base's). */
  readonly weightFiles: readonly string[];
  /** The index file, for sharded checkpoints. */
  readonly indexFile: string | undefined;
  /** Other files copied from the base folder. */
  readonly copiedFiles: readonly string[];
  /** Tensors written. */
  readonly tensors: number;
  /** Tensors the adapter changed. */
  readonly changed: number;
}

/** Default piece size for streaming unchanged tensors. */
export const MERGE_CHUNK_BYTES = 16 * 1024 * 1024; // 16 MiB

/**
 * Merges an adapter into a base checkpoint and writes the result, as PEFT's `merge_and_unload()` followed by
 * `save_pretrained`: same tensor names, dtypes and sharding (and index), one tensor in memory at a time, merged in
 * its own buffer by `@peftjs/kernels`. The whole plan is validated before the first byte is written, and a failure
 * aborts the writer, so no partial output remains.
 *
 * @param options - base, adapter, writer, progress callback, pool, signal
 * @returns what was written
 * @throws {AdapterError} the plan's codes (`TARGET_NOT_FOUND`, `SHAPE_MISMATCH`, `UNSUPPORTED_FEATURE`), `IO_ERROR`,
 *   `ABORTED`
 * @example
 * ```ts
 * await mergeAdapter({ base, adapter, writer, onProgress: ({ done, total }) => console.log(`${done}/${total}`) });
 * ```
 */
export async function mergeAdapter(options: MergeAdapterOptions): Promise<MergeResult> {
  const plan = planMerge(options.base, options.adapter);
  const others = options.copyOtherFiles === false ? [] : await otherCheckpointFiles(plan.base);
  const { writer } = options;
  const chunkBytes = options.chunkBytes ?? MERGE_CHUNK_BYTES;
  let biggestChanged = 0;
  let biggestCopied = 0;
  for (const f of plan.files) {
    for (const t of f.tensors) {
      if (t.ops.length > 0) biggestChanged = Math.max(biggestChanged, t.info.byteLength);
      else biggestCopied = Math.max(biggestCopied, t.info.byteLength);
    }
  }
  // Two buffers: one being written while the next tensor (or chunk) is read and merged into the other.
  const ring = new BufferRing(
    Math.max(biggestChanged, Math.min(chunkBytes, biggestCopied), 1),
    2,
    options.allocate ?? ((n) => new Uint8Array(n)),
  );
  try {
    let done = 0;
    const report = (t: PlannedTensor, file: string) => {
      done++;
      options.onProgress?.({ done, total: plan.total, tensor: t.name, file, changed: t.ops.length > 0 });
    };
    for (const file of plan.files) {
      checkAborted(options.signal);
      const entries: [string, LazyTensorInput][] = file.tensors.map((t) => [
        t.name,
        {
          dtype: t.info.dtype,
          shape: t.info.shape,
          data: () => tensorData(plan, t, file.name, report, ring, options),
        },
      ]);
      const chunks = serializeSafetensorsStream(entries, { metadata: plan.base.metadataOf(file.name) });
      await writer.writeFile(file.name, chunks);
    }
    const index = plan.base.index;
    if (index !== undefined) await writer.writeFile(index.name, single(index.bytes));
    for (const name of others) {
      checkAborted(options.signal);
      if (writer.copyFile) await writer.copyFile(plan.base.files, name);
      else await writer.writeFile(name, single(await readWhole(plan.base.files, name)));
    }
    checkAborted(options.signal);
    await writer.commit();
    return {
      weightFiles: plan.files.map((f) => f.name),
      indexFile: index?.name,
      copiedFiles: others,
      tensors: plan.total,
      changed: plan.changed,
    };
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw wrapError(error, 'IO_ERROR', 'writing the merged checkpoint failed');
  }
}

async function tensorData(
  plan: MergePlan,
  t: PlannedTensor,
  file: string,
  report: (t: PlannedTensor, file: string) => void,
  ring: BufferRing,
  options: MergeAdapterOptions,
): Promise<Uint8Array | AsyncIterable<Uint8Array>> {
  checkAborted(options.signal);
  if (t.ops.length > 0) {
    const data = ring.next(t.info.byteLength);
    await plan.base.readInto(t.name, data);
    const merged = await mergeTensor(
      { name: t.name, dtype: t.info.dtype, shape: t.info.shape, data },
      t.ops,
      options.pool,
    );
    report(t, file);
    return merged;
  }
  return streamUnchanged(plan.base, t, file, report, ring);
}

async function* streamUnchanged(
  base: BaseCheckpoint,
  t: PlannedTensor,
  file: string,
  report: (t: PlannedTensor, file: string) => void,
  ring: BufferRing,
): AsyncGenerator<Uint8Array> {
  const size = t.info.byteLength;
  for (let at = 0; at < size; at += ring.size) {
    const chunk = ring.next(Math.min(ring.size, size - at));
    await base.readInto(t.name, chunk, at);
    yield chunk;
  }
  report(t, file);
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function readWhole(files: FileAccess, name: string): Promise<Uint8Array> {
  const source = await files.open(name);
  try {
    return await source.read(0, source.size);
  } finally {
    await source.close?.();
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new AdapterError('ABORTED', 'the merge was cancelled', { cause: signal.reason });
  }
}
