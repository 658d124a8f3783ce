import type { ModuleSummary } from '@peftjs/runtime-node';
import { describe, expect, it } from 'vitest';
import { moduleTable } from './module-table.js';

const lora = (module: string, rank = 4): ModuleSummary => ({
  module,
  kind: 'lora',
  rank,
  alpha: 8,
  scaling: 8 / rank,
  dora: false,
  loraBias: false,
  features: [32, 64],
  parameters: rank * 96,
});

describe('moduleTable', () => {
  it('collapses modules that differ only in their indices, naming the indices as ranges', () => {
    const names = [0, 1, 2, 3, 5].map((i) => lora(`model.layers.${i}.mlp.up_proj`));
    expect(moduleTable(names)).toBe(
      [
        'module                            n  kind  r  alpha  scaling  in→out  params each  notes',
        '--------------------------------  -  ----  -  -----  -------  ------  -----------  -----',
        'model.layers.{0-3,5}.mlp.up_proj  5  lora  4  8      2        32→64   384',
      ].join('\n'),
    );
  });

  it('keeps rows apart when any column differs, and uses * when the indices are not a full grid', () => {
    const rows = moduleTable([
      lora('enc.block.0.layer.0.q'),
      lora('enc.block.1.layer.1.q'),
      lora('enc.block.2.layer.0.q', 2),
      lora('single.q'),
    ])
      .split('\n')
      .slice(2)
      .map((r) => r.split(/\s+/).slice(0, 4));
    expect(rows).toEqual([
      ['enc.block.*.layer.*.q', '2', 'lora', '4'],
      ['enc.block.2.layer.0.q', '1', 'lora', '2'],
      ['single.q', '1', 'lora', '4'],
    ]);
  });

  it('describes IA3 vectors and LoRA variants', () => {
    const table = moduleTable([
      {
        module: 'h.0.mlp.c_proj',
        kind: 'ia3',
        dora: false,
        loraBias: false,
        feedforward: true,
        features: [64],
        parameters: 64,
      },
      { ...lora('h.0.attn.c_attn'), dora: true, loraBias: true, initRank: 6 },
    ]);
    expect(table).toMatch(/h\.0\.mlp\.c_proj +1 +ia3 +- +- +- +64 +64 +scales input\n/);
    expect(table).toMatch(/h\.0\.attn\.c_attn +1 +lora +4 +8 +2 +32→64 +384 +init_r 6, DoRA, lora_B\.bias$/);
  });
});
