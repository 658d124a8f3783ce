import type { CheckpointWriter } from './merge-adapter.js';

/** A {@link CheckpointWriter} that keeps the files in memory; `files` fills in only on `commit()`. */
export interface MemoryWriter extends CheckpointWriter {
  /** The committed files by name. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * Creates a writer that collects a merged checkpoint in memory (browsers, tests, small models).
 *
 * @returns the writer
 * @example
 * ```ts
 * const writer = createMemoryWriter();
 * await mergeAdapter({ base, adapter, writer });
 * const weights = writer.files.get('model.safetensors');
 * ```
 */
export function createMemoryWriter(): MemoryWriter {
  const pending = new Map<string, Uint8Array>();
  const files = new Map<string, Uint8Array>();
  return {
    files,
    async writeFile(name, chunks) {
      const parts: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of chunks) {
        parts.push(chunk.slice());
        size += chunk.length;
      }
      const out = new Uint8Array(size);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      pending.set(name, out);
    },
    async commit() {
      for (const [name, bytes] of pending) files.set(name, bytes);
      pending.clear();
    },
    async abort() {
      pending.clear();
    },
  };
}
