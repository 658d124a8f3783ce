import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../index.js';
import { runCli } from '../run-cli.test-helper.js';
import {
  baseWeightFiles,
  float32,
  mergeCases,
  readSafetensorsFile,
  sameBytes,
} from './fixture-cases.test.helper.js';

const scratch = mkdtempSync(join(tmpdir(), 'peftjs-cli-merge-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cases = mergeCases();

/** Files a merge must not copy: weights of any format and the base's ONNX exports (they describe the unmerged model). */
const NOT_COPIED = /\.(safetensors|onnx|data|bin)$|\.index\.json$/;

describe('peftjs merge writes what PEFT merge_and_unload() + save_pretrained() writes', () => {
  it('finds every golden and generated merge case', () => {
    expect(cases.length).toBe(6 + readdirSync(fixturePath('generated', 'merge')).length);
    expect(cases.some((c) => c.id.endsWith('-sharded'))).toBe(true);
    expect(cases.some((c) => c.id.endsWith('-bf16'))).toBe(true);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const outDir = join(scratch, c.id.replace('/', '-'));
    const { code, stdout, stderr } = await runCli([
      'merge',
      '--base',
      c.baseDir,
      '--adapter',
      c.adapterDir,
      '--out',
      outDir,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);

    // Same sharding: the base's weight files (and index, byte for byte), nothing else but the copied files.
    const base = baseWeightFiles(c.baseDir);
    expect(report.weightFiles).toEqual(base.files);
    expect(report.indexFile).toBe(base.index ?? null);
    if (base.index !== undefined) {
      expect(readFileSync(join(outDir, base.index))).toEqual(readFileSync(join(c.baseDir, base.index)));
    }
    const others = readdirSync(c.baseDir)
      .filter((n) => !NOT_COPIED.test(n))
      .sort();
    expect(others).toContain('config.json');
    expect(report.copiedFiles).toEqual(others);
    for (const name of others) {
      expect(readFileSync(join(outDir, name)), name).toEqual(readFileSync(join(c.baseDir, name)));
    }
    expect(readdirSync(outDir).sort()).toEqual(
      [...base.files, ...(base.index ? [base.index] : []), ...others].sort(),
    );

    // Every tensor of the base: same name, dtype, shape and order; values as PEFT merged them.
    const merged = readSafetensorsFile(c.merged).tensors;
    let changed = 0;
    let total = 0;
    for (const file of base.files) {
      const original = readSafetensorsFile(join(c.baseDir, file));
      const out = readSafetensorsFile(join(outDir, file));
      expect(out.metadata).toEqual(original.metadata);
      expect(out.names).toEqual(original.names);
      for (const name of original.names) {
        const got = out.tensors.get(name);
        const before = original.tensors.get(name);
        const want = merged.get(name);
        if (got === undefined || before === undefined || want === undefined) throw new Error(name);
        expect([got.dtype, got.shape], name).toEqual([before.dtype, before.shape]);
        expect(want.dtype, name).toBe(got.dtype);
        if (got.dtype === 'F32') {
          expect(maxAbsDiff(float32(got), float32(want)), name).toBeLessThanOrEqual(TOLERANCE.weights);
        } else {
          // f16 / bf16: PyTorch's rounding is reproduced, so the bits must be identical (stricter than 1 ulp),
          // the same rule as @peftjs/runtime's merge tests.
          expect(sameBytes(got.data, want.data), `${name} (${got.dtype}) bits`).toBe(true);
        }
        if (!sameBytes(got.data, before.data)) changed++;
        total++;
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(report.tensors).toBe(total);
    expect(report.merged).toBeGreaterThanOrEqual(changed);
    expect(report.merged + report.copied).toBe(total);
  });

  it('prints a readable summary', async () => {
    const c = cases.find((x) => x.id === 'golden/opt-lora-basic');
    if (c === undefined) throw new Error('golden/opt-lora-basic is missing');
    const outDir = join(scratch, 'summary');
    const { code, stdout } = await runCli([
      'merge',
      '--base',
      c.baseDir,
      '--adapter',
      c.adapterDir,
      '--out',
      outDir,
    ]);
    expect(code).toBe(0);
    const size = readFileSync(join(outDir, 'model.safetensors')).length;
    expect(stdout).toContain(`into ${c.baseDir} → ${outDir}`);
    expect(stdout).toContain('4 merged, 32 copied unchanged (36 in all)');
    expect(stdout).toContain(`model.safetensors, ${(size / 1024).toFixed(1)} KiB`);
    expect(stdout).toContain('copied   config.json, generation_config.json');
    expect(stdout).toMatch(/time {5}\d+(\.\d+)? s\n$/);
  });

  it('shows progress on stderr when stderr is a terminal, and keeps stdout for the result', async () => {
    const c = cases.find((x) => x.id === 'generated/llama-lora-sharded');
    if (c === undefined) throw new Error('generated/llama-lora-sharded is missing');
    let stdout = '';
    let stderr = '';
    const code = await main(
      ['merge', '--base', c.baseDir, '--adapter', c.adapterDir, '--out', join(scratch, 'tty'), '--json'],
      {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t), isTTY: true },
        env: {},
      },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout).tensors).toBeGreaterThan(0);
    expect(stderr).toMatch(/\rmerging \[#+\] 100% lm_head.weight/);
    expect(stderr.endsWith('\n')).toBe(true);
  });
});

describe('peftjs merge errors: exit code and one line', () => {
  const opt = fixturePath('golden', 'cases', 'opt-lora-basic', 'adapter');
  const optBase = fixturePath('golden', 'bases', 'opt');

  it('missing --out is a usage error', async () => {
    const r = await runCli(['merge', '--base', optBase, '--adapter', opt]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: --out is required\n' });
  });

  it('a folder that does not exist is a usage error naming it', async () => {
    const missing = join(scratch, 'no-such-adapter');
    const r = await runCli(['merge', '--base', optBase, '--adapter', missing, '--out', join(scratch, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: --adapter folder '${missing}' does not exist\n`);
    expect(existsSync(join(scratch, 'x'))).toBe(false);
  });

  it('an adapter for another base fails with the module and both shapes, writing nothing', async () => {
    const outDir = join(scratch, 'wrong-base');
    const smaller = fixturePath('generated', 'merge', 'opt-lora-bin', 'base'); // hidden 16; the adapter's is 32
    const r = await runCli(['merge', '--base', smaller, '--adapter', opt, '--out', outDir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^error: .*model\.decoder\.layers\.0\.self_attn\.q_proj/);
    expect(r.stderr).toContain('A [4, 32] / B [32, 4]');
    expect(r.stderr).toContain('[16, 16]');
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
  });

  it('refuses to replace an earlier merge unless --overwrite', async () => {
    const outDir = join(scratch, 'twice');
    const args = ['merge', '--base', optBase, '--adapter', opt, '--out', outDir];
    expect((await runCli(args)).code).toBe(0);
    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: .*model\.safetensors.*\n$/);
    expect((await runCli([...args, '--overwrite'])).code).toBe(0);
  });
});
