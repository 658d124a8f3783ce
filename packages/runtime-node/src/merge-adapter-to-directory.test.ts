import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, toFloat32 } from '@peftjs/safetensors';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BaseCheckpoint,
  type CheckpointWriter,
  createDirectoryWriter,
  type FileAccess,
  isAdapterError,
  loadAdapter,
  type MergeProgress,
  mergeAdapter,
  mergeAdapterToDirectory,
  nodeFiles,
  openBaseCheckpoint,
} from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'peftjs-merge-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Case {
  readonly id: string;
  readonly baseDir: string;
  readonly adapterDir: string;
  readonly merged: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const arch: Record<string, string> = { opt: 'opt', gpt2: 'gpt2', bert: 'bert', t5: 't5' };
  for (const name of readdirSync(fixturePath('golden', 'cases')).sort()) {
    const dir = fixturePath('golden', 'cases', name);
    if (!existsSync(join(dir, 'merged.safetensors'))) continue;
    const a = arch[name.split('-')[0] as string] as string;
    out.push({
      id: `golden/${name}`,
      baseDir: fixturePath('golden', 'bases', a),
      adapterDir: join(dir, 'adapter'),
      merged: join(dir, 'merged.safetensors'),
    });
  }
  for (const name of readdirSync(fixturePath('generated', 'merge')).sort()) {
    const dir = fixturePath('generated', 'merge', name);
    out.push({
      id: `generated/${name}`,
      baseDir: join(dir, 'base'),
      adapterDir: join(dir, 'adapter'),
      merged: join(dir, 'merged.safetensors'),
    });
  }
  return out;
}

const all = cases();

describe('mergeAdapterToDirectory writes what PEFT merge_and_unload() + save_pretrained() would', () => {
  it('finds the cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(30);
  });

  it.each(all.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const outDir = join(scratch, c.id.replace('/', '-'));
    const progress: MergeProgress[] = [];
    const result = await mergeAdapterToDirectory({
      baseDir: c.baseDir,
      adapterDir: c.adapterDir,
      outDir,
      onProgress: (p) => progress.push(p),
    });
    const written = readdirSync(outDir).sort();
    const expectedFiles = [
      ...result.weightFiles,
      ...(result.indexFile ? [result.indexFile] : []),
      ...result.copiedFiles,
    ];
    expect(written).toEqual(expectedFiles.sort()); // no temporary files left
    const baseFiles = readdirSync(c.baseDir);
    // Same sharding as the base: every base weight file, and the index byte for byte.
    expect(result.weightFiles).toEqual(baseFiles.filter((f) => /^model.*\.safetensors$/.test(f)).sort());
    if (result.indexFile !== undefined) {
      expect(readFileSync(join(outDir, result.indexFile))).toEqual(
        readFileSync(join(c.baseDir, result.indexFile)),
      );
    }
    for (const name of ['config.json', 'generation_config.json'].filter((n) => baseFiles.includes(n))) {
      expect(readFileSync(join(outDir, name)), name).toEqual(readFileSync(join(c.baseDir, name)));
    }
    const expected = (await readSafetensors(readFileSync(c.merged))).tensors;
    for (const file of result.weightFiles) {
      const got = await readSafetensors(readFileSync(join(outDir, file)));
      const base = await readSafetensors(readFileSync(join(c.baseDir, file)));
      expect(got.header.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(
        base.header.tensors.map((t) => [t.name, t.dtype, t.shape]),
      );
      for (const [name, t] of got.tensors) {
        const want = expected.get(name);
        if (want === undefined) throw new Error(name);
        if (t.dtype === 'F32')
          expect(maxAbsDiff(toFloat32(t), toFloat32(want)), name).toBeLessThanOrEqual(TOLERANCE.weights);
        else expect(t.data, `${name}: f16/bf16 bits identical to PyTorch's`).toEqual(want.data);
      }
    }
    expect(progress.at(-1)).toMatchObject({ done: result.tensors, total: result.tensors });
  });
});

describe('mergeAdapterToDirectory never leaves partial output', () => {
  const c = all.find((x) => x.id === 'generated/llama-lora-sharded') as Case;

  it('a bad adapter (wrong base) fails before the output folder is created', async () => {
    const outDir = join(scratch, 'wrong-base');
    const other = all.find((x) => x.id === 'golden/opt-lora-basic') as Case;
    const error = await mergeAdapterToDirectory({
      baseDir: c.baseDir,
      adapterDir: other.adapterDir,
      outDir,
    }).catch((e: unknown) => e);
    expect(isAdapterError(error) && error.code).toBe('TARGET_NOT_FOUND');
    expect(existsSync(outDir)).toBe(false);
  });

  it('a read failure mid-merge (after files were written) removes every temporary file and the new folder', async () => {
    const outDir = join(scratch, 'read-failure');
    const files = nodeFiles(c.baseDir);
    let reads = 0;
    // The third shard's tensor data cannot be read (its header can): a disk error halfway through the merge.
    const failing: FileAccess = {
      ...files,
      async open(name) {
        const source = await files.open(name);
        if (name !== 'model-00003-of-00004.safetensors') return source;
        return {
          ...source,
          readInto: () => Promise.reject(new Error('EIO: i/o error')),
          read: (offset: number, length: number) =>
            ++reads > 2 ? Promise.reject(new Error('EIO: i/o error')) : source.read(offset, length),
        };
      },
    };
    const base = await BaseCheckpoint.open(failing);
    const adapter = await loadAdapter(c.adapterDir);
    let written = 0;
    const inner = createDirectoryWriter(outDir);
    const writer: CheckpointWriter = {
      ...inner,
      writeFile: (name, chunks) => {
        written++;
        return inner.writeFile(name, chunks);
      },
    };
    const error = await mergeAdapter({ base, adapter, writer }).catch((e: unknown) => e);
    expect(isAdapterError(error) && error.message).toContain('EIO');
    expect(written).toBe(3); // two shards were complete (as temporary files) when the third failed
    expect(existsSync(outDir)).toBe(false);
  });

  it('a write that fails mid-file (disk full) leaves neither the file nor its temporary', async () => {
    const outDir = join(scratch, 'write-failure');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'keep.txt'), 'not ours');
    const inner = createDirectoryWriter(outDir);
    async function* fail(chunks: AsyncIterable<Uint8Array>) {
      let n = 0;
      for await (const chunk of chunks) {
        if (++n === 3) throw new Error('ENOSPC: no space left on device');
        yield chunk;
      }
    }
    const writer: CheckpointWriter = {
      ...inner,
      writeFile: (name, chunks) => inner.writeFile(name, name.includes('00002') ? fail(chunks) : chunks),
    };
    const base = await openBaseCheckpoint(c.baseDir);
    const error = await mergeAdapter({ base, adapter: await loadAdapter(c.adapterDir), writer }).catch(
      (e: unknown) => e,
    );
    expect(isAdapterError(error) && error.code).toBe('IO_ERROR');
    expect(String(error)).toContain('ENOSPC');
    expect(readdirSync(outDir)).toEqual(['keep.txt']);
  });

  it('does not overwrite existing output unless asked, and refuses outDir = baseDir', async () => {
    const outDir = join(scratch, 'existing');
    await mergeAdapterToDirectory({ baseDir: c.baseDir, adapterDir: c.adapterDir, outDir });
    writeFileSync(join(outDir, 'model.safetensors.index.json'), 'mine');
    const error = await mergeAdapterToDirectory({
      baseDir: c.baseDir,
      adapterDir: c.adapterDir,
      outDir,
    }).catch((e: unknown) => e);
    expect(isAdapterError(error) && error.code).toBe('OUTPUT_EXISTS');
    expect(readFileSync(join(outDir, 'model.safetensors.index.json'), 'utf8')).toBe('mine');
    expect(readdirSync(outDir).filter((f) => f.startsWith('.'))).toEqual([]);
    await mergeAdapterToDirectory({ baseDir: c.baseDir, adapterDir: c.adapterDir, outDir, overwrite: true });
    expect(readFileSync(join(outDir, 'model.safetensors.index.json'))).toEqual(
      readFileSync(join(c.baseDir, 'model.safetensors.index.json')),
    );
    const same = await mergeAdapterToDirectory({
      baseDir: c.baseDir,
      adapterDir: c.adapterDir,
      outDir: c.baseDir,
    }).catch((e: unknown) => e);
    expect(isAdapterError(same) && same.code).toBe('INVALID_ARGUMENT');
  });
});
