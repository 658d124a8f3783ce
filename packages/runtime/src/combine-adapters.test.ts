import { readdirSync, readFileSync } from 'node:fs';
import { clampSvdFactors, isCombinationType, isSvdCombination } from '@peftjs/kernels';
import { readSafetensors, toFloat32 } from '@peftjs/safetensors';
import { fixturePath, maxAbsDiff, TOLERANCE } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { fixtureFolder } from './fixture-folder.test.helper.js';
import {
  type Adapter,
  type CombineAdaptersOptions,
  combineAdapters,
  createMemoryWriter,
  isAdapterError,
  openAdapter,
  saveAdapterFiles,
} from './index.js';

interface CombineCase {
  readonly id: string;
  readonly sources: string[][];
  readonly result: string[];
  readonly weights: number[];
  readonly options: Omit<CombineAdaptersOptions, 'adapters'>;
  readonly svd: boolean;
}

function combineCases(): CombineCase[] {
  const cases: CombineCase[] = [];
  const golden = ['golden', 'cases', 'opt-weighted'];
  const spec = JSON.parse(readFileSync(fixturePath(...golden, 'case.json'), 'utf8'));
  for (const [type, combo] of Object.entries(spec.combos as Record<string, { density?: number }>)) {
    if (!isCombinationType(type)) throw new Error(`unknown type ${type}`);
    cases.push({
      id: `golden/opt-weighted/${type}`,
      sources: (spec.sources as string[]).map((s) => [...golden, 'adapters', s]),
      result: [...golden, 'adapters', type],
      weights: spec.weights,
      options: { type, ...(combo.density === undefined ? {} : { density: combo.density }) },
      svd: isSvdCombination(type),
    });
  }
  for (const set of readdirSync(fixturePath('generated', 'combine')).sort()) {
    const dir = ['generated', 'combine', set];
    for (const label of readdirSync(fixturePath(...dir, 'results')).sort()) {
      const p = JSON.parse(readFileSync(fixturePath(...dir, 'results', label, 'params.json'), 'utf8'));
      const type = p.combination_type ?? (set.includes('ia3') ? undefined : 'svd');
      cases.push({
        id: `generated/${set}/${label}`,
        sources: (p.adapters as string[]).map((s) => [...dir, 'adapters', s]),
        result: [...dir, 'results', label],
        weights: p.weights,
        options: {
          ...(type === undefined ? {} : { type }),
          ...(p.density === undefined ? {} : { density: p.density }),
          ...(p.svd_rank === undefined ? {} : { svdRank: p.svd_rank }),
          ...(p.svd_clamp === undefined ? {} : { svdClamp: p.svd_clamp }),
          ...(p.majority_sign_method === undefined ? {} : { majoritySignMethod: p.majority_sign_method }),
        },
        svd: type !== undefined && isSvdCombination(type),
      });
    }
  }
  return cases;
}

/**
 * PEFT holds target_modules / feedforward_modules as Python sets and writes them in the set's iteration order,
 * which depends on the process's string-hash seed; peftjs writes the union in first-seen order. When both hold the
 * same names, put ours in PEFT's order before comparing bytes (every other byte must match as is).
 */
function alignSetOrder(ours: string, peft: string): string {
  const a = JSON.parse(ours);
  const b = JSON.parse(peft);
  for (const field of ['target_modules', 'feedforward_modules', 'exclude_modules']) {
    const x = a[field];
    const y = b[field];
    if (!Array.isArray(x) || !Array.isArray(y)) continue;
    expect([...x].sort(), field).toEqual([...y].sort());
    const from = JSON.stringify(x, null, 2).replaceAll('\n', '\n  ');
    const to = JSON.stringify(y, null, 2).replaceAll('\n', '\n  ');
    ours = ours.replace(`"${field}": ${from}`, `"${field}": ${to}`);
  }
  return ours;
}

/** ΔW direction-free check for svd results: B·A, `[out, in]`, in float64. */
function product(a: Float32Array, b: Float32Array, out: number, r: number, inF: number): Float64Array {
  const p = new Float64Array(out * inF);
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k] as number;
      for (let i = 0; i < inF; i++)
        p[o * inF + i] = (p[o * inF + i] as number) + bk * (a[k * inF + i] as number);
    }
  }
  return p;
}

const cases = combineCases();

describe('combineAdapters reproduces PEFT add_weighted_adapter', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(cases.some((c) => c.id.includes('ia3'))).toBe(true);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const sources: Adapter[] = [];
    for (const s of c.sources) sources.push(await openAdapter(fixtureFolder(...s)));
    const combined = await combineAdapters({
      adapters: sources.map((adapter, i) => ({ adapter, weight: c.weights[i] as number })),
      ...c.options,
    });
    const writer = createMemoryWriter();
    await saveAdapterFiles(combined, writer);
    const expectedFolder = fixtureFolder(...c.result);
    const peftConfig = readFileSync(fixturePath(...c.result, 'adapter_config.json'), 'utf8');
    const ours = new TextDecoder().decode(writer.files.get('adapter_config.json'));
    expect(alignSetOrder(ours, peftConfig)).toBe(peftConfig);

    const got = await readSafetensors(writer.files.get('adapter_model.safetensors') as Uint8Array);
    const want = await readSafetensors(readFileSync(fixturePath(...c.result, 'adapter_model.safetensors')));
    expect(got.metadata).toEqual({ format: 'pt' });
    expect([...got.tensors.keys()]).toEqual([...want.tensors.keys()]);
    if (!c.svd) {
      for (const [name, t] of got.tensors) {
        const w = want.tensors.get(name);
        expect(t.shape, name).toEqual(w?.shape);
        expect(maxAbsDiff(toFloat32(t), toFloat32(w as typeof t)), name).toBeLessThanOrEqual(
          TOLERANCE.weights,
        );
      }
      return;
    }
    // SVD factors are unique only up to signs (and rotations within equal singular values): compare B·A per layer.
    const reference = await openAdapter(expectedFolder);
    const clamp = c.options.svdClamp;
    const unclamped =
      clamp === undefined
        ? combined
        : await combineAdapters({
            adapters: sources.map((adapter, i) => ({ adapter, weight: c.weights[i] as number })),
            ...withoutClamp(c.options),
          });
    for (const layer of reference.layers) {
      const mine = unclamped.layer(layer.module);
      if (mine === undefined || mine.kind === 'ia3' || layer.kind === 'ia3') throw new Error(layer.module);
      expect(mine.A.shape, layer.module).toEqual(layer.A.shape);
      const r = layer.rank;
      const [out, inF] = [mine.outFeatures, mine.inFeatures];
      const peftA = await layer.A.float32();
      const peftB = await layer.B.float32();
      let A = await mine.A.float32();
      let B = await mine.B.float32();
      if (clamp === undefined) {
        expect(
          maxAbsDiff(product(A, B, out, r, inF), product(peftA, peftB, out, r, inF)),
          layer.module,
        ).toBeLessThanOrEqual(TOLERANCE.weights);
        continue;
      }
      // The clamp threshold is a quantile of the signed factors, so it depends on the SVD's arbitrary signs: give
      // our singular vectors PEFT's (LAPACK's) signs, clamp, then compare the factors themselves.
      const clampedLayer = combined.layer(layer.module);
      const final = clampedLayer?.kind === 'ia3' ? undefined : await clampedLayer?.A.float32();
      const ours = clampSvdFactors({ A, B }, clamp);
      expect(final, 'combineAdapters applies svdClamp').toEqual(ours.A);
      ({ A, B } = alignSigns(A, B, peftA, r, inF, out));
      const aligned = clampSvdFactors({ A, B }, clamp);
      expect(maxAbsDiff(aligned.A, peftA), layer.module).toBeLessThanOrEqual(TOLERANCE.weights);
      expect(maxAbsDiff(aligned.B, peftB), layer.module).toBeLessThanOrEqual(TOLERANCE.weights);
    }
  });
});

function withoutClamp(options: CombineCase['options']): CombineCase['options'] {
  const { svdClamp: _ignored, ...rest } = options;
  return rest;
}

/** Flips singular pair t (row t of A, column t of B) where its A row points away from the reference's. */
function alignSigns(
  A: Float32Array,
  B: Float32Array,
  refA: Float32Array,
  r: number,
  inF: number,
  out: number,
) {
  const a = A.slice();
  const b = B.slice();
  for (let t = 0; t < r; t++) {
    let dot = 0;
    for (let i = 0; i < inF; i++) dot += (a[t * inF + i] as number) * (refA[t * inF + i] as number);
    if (dot >= 0) continue;
    for (let i = 0; i < inF; i++) a[t * inF + i] = -(a[t * inF + i] as number);
    for (let o = 0; o < out; o++) b[o * r + t] = -(b[o * r + t] as number);
  }
  return { A: a, B: b };
}

describe('combineAdapters refuses what PEFT refuses or peftjs cannot reproduce', () => {
  const open = (...p: string[]) => openAdapter(fixtureFolder(...p));

  it('different ranks with a factor type', async () => {
    const a = await open('generated', 'combine', 'llama-lora-ranks', 'adapters', 'a');
    const b = await open('generated', 'combine', 'llama-lora-ranks', 'adapters', 'b');
    const error = await combineAdapters({
      adapters: [
        { adapter: a, weight: 1 },
        { adapter: b, weight: 1 },
      ],
      type: 'linear',
    }).catch((e: unknown) => e);
    expect(isAdapterError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect(String(error)).toMatch(/same r value/);
  });

  it('mixed adapter types, AdaLoRA, modules_to_save', async () => {
    const lora = await open('golden', 'cases', 'opt-lora-basic', 'adapter');
    const ia3 = await open('golden', 'cases', 'opt-ia3', 'adapter');
    const ada = await open('golden', 'cases', 'opt-adalora', 'adapter');
    const cls = await open('golden', 'cases', 'bert-lora-seq-cls', 'adapter');
    const codeOf = (adapters: Adapter[]) =>
      combineAdapters({ adapters: adapters.map((adapter) => ({ adapter, weight: 1 })) }).then(
        () => 'ok',
        (e: unknown) => (isAdapterError(e) ? e.code : String(e)),
      );
    expect(await codeOf([lora, ia3])).toBe('INVALID_ARGUMENT');
    expect(await codeOf([ada, ada])).toBe('UNSUPPORTED_FEATURE');
    expect(await codeOf([cls])).toBe('UNSUPPORTED_FEATURE');
    expect(await codeOf([])).toBe('INVALID_ARGUMENT');
  });
});
