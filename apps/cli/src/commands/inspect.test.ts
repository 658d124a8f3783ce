import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.test-helper.js';
import { mergeCases, readSafetensorsFile } from './fixture-cases.test.helper.js';

const cases = mergeCases();

/** `a.{0,1}.b` / `a.{0-3}.b` → the module names a collapsed table row stands for. */
function expand(pattern: string): string[] {
  const match = /\{([^}]*)\}/.exec(pattern);
  if (match === null) return [pattern];
  const values = (match[1] as string).split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: (to as number) - from + 1 }, (_, i) => String(from + i));
  });
  return values.flatMap((v) => expand(pattern.replace(match[0], v)));
}

describe('peftjs inspect', () => {
  it('finds every golden and generated merge case', () => {
    expect(cases.length).toBe(6 + readdirSync(fixturePath('generated', 'merge')).length);
  });

  it.each(cases.map((c) => [c.id, c] as const))(
    '%s: trainable line, counts, size, module table',
    async (_id, c) => {
      const text = await runCli(['inspect', c.adapterDir, '--base', c.baseDir]);
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      const lines = text.stdout.split('\n');
      // Exactly PEFT's print_trainable_parameters() line, on a line of its own.
      expect(lines).toContain(c.caseJson.trainable_line);

      const json = await runCli(['inspect', c.adapterDir, '--base', c.baseDir, '--json']);
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report.trainableLine).toBe(c.caseJson.trainable_line);
      expect([report.parameters.trainable, report.parameters.all]).toEqual(c.caseJson.nb_trainable);
      expect(report.trainableParameters).toBeGreaterThan(0);
      expect(report.trainableParameters).toBeLessThanOrEqual(report.parameters.trainable);
      const config = JSON.parse(readFileSync(join(c.adapterDir, 'adapter_config.json'), 'utf8'));
      expect(report.peftType).toBe(config.peft_type);
      expect(report.taskType).toBe(config.task_type ?? null);

      // Size and value count straight from the weights file's header.
      const weights = join(c.adapterDir, 'adapter_model.safetensors');
      expect(report.format).toBe(existsSync(weights) ? 'safetensors' : 'bin');
      if (existsSync(weights)) {
        const stored = [...readSafetensorsFile(weights).tensors.values()];
        expect(report.bytes).toBe(stored.reduce((n, t) => n + t.data.length, 0));
        expect(report.storedValues).toBe(stored.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0));
      }

      // The collapsed table covers every module exactly once, and `n` counts them.
      const table = lines.slice(lines.findIndex((l) => l.startsWith('module ')) + 2).filter(Boolean);
      const covered = table.flatMap((row) => {
        const [pattern = '', n = ''] = row.split(/\s+/);
        const names = expand(pattern);
        expect(names, row).toHaveLength(Number(n));
        return names;
      });
      expect(covered.sort()).toEqual(report.modules.map((m: { module: string }) => m.module).sort());
    },
  );

  it('prints a readable summary', async () => {
    const dir = fixturePath('golden', 'cases', 'opt-lora-basic', 'adapter');
    const { code, stdout } = await runCli(['inspect', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('type        LORA, saved by PEFT 0.21.0\n');
    expect(stdout).toContain('task        CAUSAL_LM\n');
    expect(stdout).toContain('targets     q_proj, v_proj\n');
    expect(stdout).toContain('ranks       4\nalphas      8\nscaling     2\nmodules     4\n');
    expect(stdout).toContain('parameters  1,024 trainable\n');
    expect(stdout).toContain('size        4.0 KiB in 8 F32 tensors (1,024 values)\n');
    expect(stdout).not.toContain('trainable params:');
    expect(stdout).toMatch(
      /model\.decoder\.layers\.\{0,1\}\.self_attn\.q_proj +2 +lora +4 +8 +2 +32→32 +256\n/,
    );
  });

  it('--json without --base has the adapter counts and no base counts', async () => {
    const dir = fixturePath('golden', 'cases', 'opt-adalora', 'adapter');
    const report = JSON.parse((await runCli(['inspect', dir, '--json'])).stdout);
    expect(report.peftType).toBe('ADALORA');
    expect(report.parameters).toBeUndefined();
    expect(report.modules.length).toBeGreaterThan(0);
    for (const m of report.modules) expect(m.initRank).toBeGreaterThanOrEqual(m.rank);
  });

  it('errors: no folder, a missing folder, an adapter for another base', async () => {
    expect(await runCli(['inspect'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error: .*\n$/),
    });
    const missing = fixturePath('golden', 'cases', 'no-such-case');
    expect(await runCli(['inspect', missing])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: adapter folder '${missing}' does not exist\n`,
    });
    const wrong = await runCli([
      'inspect',
      fixturePath('golden', 'cases', 'opt-lora-basic', 'adapter'),
      '--base',
      fixturePath('generated', 'merge', 'opt-lora-bin', 'base'),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(/^error: .*model\.decoder\.layers\.0\.self_attn\.q_proj.*\[16, 16\].*\n$/);
  });
});
