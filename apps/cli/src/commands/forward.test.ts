import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, maxAbsDiff, onnxCases, TOLERANCE } from '@peftjs/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.test-helper.js';
import { float32, readSafetensorsFile } from './fixture-cases.test.helper.js';

const scratch = mkdtempSync(join(tmpdir(), 'peftjs-cli-forward-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const outFile = () => join(scratch, `out-${n++}.safetensors`);

const opt = fixturePath('golden', 'bases', 'opt');
const weighted = fixturePath('golden', 'cases', 'opt-weighted');

function logits(path: string, key = 'logits'): Float32Array {
  const t = readSafetensorsFile(path).tensors.get(key);
  if (t === undefined) throw new Error(`${path} has no ${key}`);
  return float32(t);
}

describe('peftjs forward', () => {
  const golden = onnxCases().filter((c) => c.id.startsWith('golden/'));
  it('finds every golden export (gpt2: TorchScript only)', () => {
    expect(golden.length).toBe(11);
  });

  it.each(golden.map((c) => [c.id, c] as const))(
    '%s: logits_adapter, then logits_disabled',
    async (_id, c) => {
      const out = outFile();
      const common = [
        '--onnx',
        c.model,
        '--inputs',
        c.inputs,
        '--adapter',
        c.adapterDir,
        '--base',
        c.baseDir,
      ];
      const run = await runCli(['forward', ...common, '--out', out, '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report.adapters).toEqual([{ name: 'default', dir: c.adapterDir, type: expect.any(String) }]);
      expect(report.active).toEqual(['default']);
      // every graph output by name, as F32 (T5 also returns its encoder's output)
      const written = readSafetensorsFile(out);
      expect(written.names.sort()).toEqual(report.outputs.map((o: { name: string }) => o.name).sort());
      for (const t of written.tensors.values()) expect(t.dtype).toBe('F32');
      expect(maxAbsDiff(logits(out), logits(c.expected, c.adapterKey))).toBeLessThan(TOLERANCE.logits);

      const disabled = outFile();
      const off = await runCli(['forward', ...common, '--out', disabled, '--disable-adapters']);
      expect(off.code).toBe(0);
      expect(off.stdout).toContain('adapters disabled');
      expect(maxAbsDiff(logits(disabled), logits(c.expected, 'logits_disabled'))).toBeLessThan(
        TOLERANCE.logits,
      );
    },
  );

  it('loads several named adapters; --set-adapter picks the active one; without it the last loaded is', async () => {
    const flags = ['--onnx', join(opt, 'model.dynamo.onnx'), '--inputs', join(opt, 'inputs.safetensors')];
    const adapters = ['--adapter', `svd=${join(weighted, 'adapters', 'svd')}`];
    adapters.push('--adapter', `ties=${join(weighted, 'adapters', 'ties')}`, '--base', opt);
    const picked = outFile();
    const a = await runCli(['forward', ...flags, ...adapters, '--set-adapter', 'svd', '--out', picked]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('active svd');
    expect(maxAbsDiff(logits(picked), logits(join(weighted, 'expected-svd.safetensors')))).toBeLessThan(
      TOLERANCE.logits,
    );
    const last = outFile();
    expect((await runCli(['forward', ...flags, ...adapters, '--out', last])).code).toBe(0);
    expect(maxAbsDiff(logits(last), logits(join(weighted, 'expected-ties.safetensors')))).toBeLessThan(
      TOLERANCE.logits,
    );
    const none = outFile();
    expect((await runCli(['forward', ...flags, '--out', none])).code).toBe(0);
    expect(maxAbsDiff(logits(none), logits(join(opt, 'expected.safetensors')))).toBeLessThan(
      TOLERANCE.logits,
    );
  });

  it.each(golden.map((c) => [c.id, c] as const))(
    '%s --mode dynamic: logits_adapter, then logits_disabled',
    async (_id, c) => {
      const common = [
        '--onnx',
        c.model,
        '--inputs',
        c.inputs,
        '--adapter',
        c.adapterDir,
        '--base',
        c.baseDir,
      ];
      const out = outFile();
      const run = await runCli(['forward', ...common, '--out', out, '--mode', 'dynamic', '--json']);
      expect([run.code, run.stderr]).toEqual([0, '']);
      expect(JSON.parse(run.stdout).mode).toBe('dynamic');
      expect(maxAbsDiff(logits(out), logits(c.expected, c.adapterKey))).toBeLessThan(TOLERANCE.logits);
      const disabled = outFile();
      const off = await runCli([
        'forward',
        ...common,
        '--out',
        disabled,
        '--mode',
        'dynamic',
        '--disable-adapters',
      ]);
      expect(off.stdout).toContain('(dynamic, adapters disabled)');
      expect(maxAbsDiff(logits(disabled), logits(c.expected, 'logits_disabled'))).toBeLessThan(
        TOLERANCE.logits,
      );
    },
  );
  it('errors: unknown or incompatible adapters (exit 1); bad flags (exit 2); nothing written', async () => {
    const out = outFile();
    const flags = [
      '--onnx',
      join(opt, 'model.onnx'),
      '--inputs',
      join(opt, 'inputs.safetensors'),
      '--out',
      out,
    ];
    const lora = `lora=${fixturePath('golden', 'cases', 'opt-lora-basic', 'adapter')}`;
    const ia3 = `ia3=${fixturePath('golden', 'cases', 'opt-ia3', 'adapter')}`;
    const cases: [string[], number, string][] = [
      [['--mode', 'fast'], 2, "error: --mode must be merged or dynamic, got 'fast'"],
      [['--adapter', lora, '--set-adapter', 'x'], 1, 'error: Adapter with name x not found.'],
      [
        ['--adapter', lora, '--adapter', ia3, '--set-adapter', 'lora,ia3'],
        1,
        'error: Cannot combine adapters with different peft types. Found LORA and IA3',
      ],
      [
        ['--adapter', lora.split('=')[1] as string, '--adapter', ia3.split('=')[1] as string],
        2,
        'error: name every --adapter',
      ],
      [['--set-adapter', 'a'], 2, 'error: --set-adapter needs at least one --adapter'],
      [['--adapter', `x=${join(scratch, 'nope')}`], 2, 'error: --adapter folder'],
    ];
    for (const [extra, code, message] of cases) {
      const run = await runCli(['forward', ...flags, ...extra]);
      expect([run.code, run.stderr], extra.join(' ')).toEqual([code, expect.stringContaining(message)]);
      expect(existsSync(out)).toBe(false);
    }
    expect((await runCli(['forward', ...flags])).code).toBe(0);
    const again = await runCli(['forward', ...flags]);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('already exists')]);
    expect((await runCli(['forward', ...flags, '--overwrite'])).code).toBe(0);
    const missing = await runCli(['forward', '--inputs', join(opt, 'inputs.safetensors'), '--out', out]);
    expect([missing.code, missing.stderr]).toEqual([2, 'error: --onnx is required\n']);
  });
});
