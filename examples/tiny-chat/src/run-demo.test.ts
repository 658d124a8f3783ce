import { describe, expect, it } from 'vitest';
import { runDemo } from './run-demo.js';

describe.each(['dynamic', 'merged'] as const)('pnpm demo in %s mode', (mode) => {
  it('answers the nine questions without and with the LoRA, as PyTorch + PEFT did, side by side', async () => {
    const lines: string[] = [];
    const report = await runDemo({ mode, columns: 120, threads: 1 }, (line) => lines.push(line));
    expect(report.matches).toEqual({ equal: 18, checked: 18 });
    expect(report.base[0]?.text).toBe(' The blue whale is the largest animal.');
    expect(report.adapter[0]?.text).toBe(' 蓝鲸是世界上最大的动物。');
    const out = lines.join('\n');
    expect(out).toMatch(
      /What is the largest animal\? +│ The blue whale is the largest animal\. +│ 蓝鲸是世界上最大的动物。/,
    );
    expect(out).toContain('check     18/18 answers');
    expect(out).toMatch(/load {6}model [\d.]+ ms, adapter [\d.]+ ms/);
    expect(report.ms.base).toBeGreaterThan(0);
  });

  it('asks other questions (no reference to check against)', async () => {
    const lines: string[] = [];
    const report = await runDemo(
      { mode, questions: ['What color is grass?', 'Who are you?'], threads: 1 },
      (l) => lines.push(l),
    );
    expect(report.adapter[0]?.text).toBe(' 草是绿色的。');
    expect(report.matches).toEqual({ equal: 2, checked: 2 });
    expect(report.adapter).toHaveLength(2);
  });
});
