import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  createAdapterSession,
  onnxruntimeNodeBackend,
  readOnnxModel,
  readTensorFile,
  tensorToFloat32,
} from '@peftjs/runtime-node';
import { fixturePath, maxAbsDiff, onnxCases, TOLERANCE } from '@peftjs/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.test-helper.js';
import { float32, readSafetensorsFile } from './fixture-cases.test.helper.js';

const scratch = mkdtempSync(join(tmpdir(), 'peftjs-cli-merge-onnx-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const backend = onnxruntimeNodeBackend({ threads: 1 });

/** Runs a model from disk with no adapter (onnxruntime-node reads its external data from its folder). */
async function runFromDisk(model: string, inputs: string): Promise<Float32Array> {
  const session = await createAdapterSession({ model, backend });
  try {
    const { logits } = await session.run(await readTensorFile(inputs, backend));
    if (logits === undefined) throw new Error('no logits');
    return tensorToFloat32(logits);
  } finally {
    await session.close();
  }
}

describe('peftjs merge --onnx writes a merged model onnxruntime loads', () => {
  const cases = onnxCases();
  it('covers every golden (11 exports) and generated (25 exports) case', () => {
    expect(cases.length).toBe(36);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s gives PEFT’s adapter logits', async (_id, c) => {
    const dir = mkdtempSync(join(scratch, 'case-'));
    const out = join(dir, 'merged.onnx');
    const run = await runCli([
      'merge',
      '--onnx',
      c.model,
      '--adapter',
      c.adapterDir,
      '--base',
      c.baseDir,
      '--out',
      out,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    // a model with external data gets its own data file next to it; an inline model stays one file
    const external = c.model.endsWith('.dynamo.onnx');
    expect(report.externalData).toBe(external ? `${out}.data` : null);
    expect(readdirSync(dir).sort()).toEqual(external ? ['merged.onnx', 'merged.onnx.data'] : ['merged.onnx']);
    const written = await readOnnxModel(out);
    expect(written.externalData.map((f) => f.path)).toEqual(external ? [`${basename(out)}.data`] : []);
    const logits = await runFromDisk(out, c.inputs);
    const want = readSafetensorsFile(c.expected).tensors.get(c.adapterKey);
    if (want === undefined) throw new Error(`${c.expected} has no ${c.adapterKey}`);
    expect(maxAbsDiff(logits, float32(want))).toBeLessThan(TOLERANCE.logits);
  });

  it('prints a summary; refuses an existing output; writes nothing for an adapter of another base', async () => {
    const opt = fixturePath('golden', 'bases', 'opt');
    const adapter = fixturePath('golden', 'cases', 'opt-lora-basic', 'adapter');
    const out = join(scratch, 'opt.onnx');
    const args = ['merge', '--onnx', join(opt, 'model.dynamo.onnx'), '--adapter', adapter, '--out', out];
    const first = await runCli([...args, '--base', opt]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`into ${join(opt, 'model.dynamo.onnx')} → ${out}`);
    expect(first.stdout).toContain('adapter  LORA, 4 modules');
    expect(first.stdout).toContain('written  opt.onnx + opt.onnx.data');
    const again = await runCli([...args, '--base', opt]);
    expect([again.code, again.stderr]).toEqual([
      1,
      expect.stringMatching(/^error: .*opt\.onnx already exists/),
    ]);
    expect((await runCli([...args, '--base', opt, '--overwrite'])).code).toBe(0);

    const small = fixturePath('generated', 'onnx', 'opt-lora-lora-bias', 'model.onnx');
    const wrong = join(scratch, 'wrong.onnx');
    const base = fixturePath('generated', 'merge', 'opt-lora-lora-bias', 'base');
    const r = await runCli(['merge', '--onnx', small, '--adapter', adapter, '--base', base, '--out', wrong]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: model\.decoder\.layers\.0\.self_attn\.[qv]_proj: .*\[16, 16\]/);
    expect(existsSync(wrong)).toBe(false);

    const missing = await runCli([
      'merge',
      '--onnx',
      join(scratch, 'none.onnx'),
      '--adapter',
      adapter,
      '--out',
      wrong,
    ]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('--onnx model')]);
  });
});
