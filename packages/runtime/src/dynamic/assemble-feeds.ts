import { f32ToF16, transpose } from '@peftjs/kernels';
import { type AdapterBranch, DataType, dataTypeName } from '@peftjs/onnx';
import type { AdapterReplacement } from '../adapter-layer.js';
import { AdapterError, showShape } from '../errors.js';
import type { PreparedLowRank } from './prepare-layer.js';

/** Element types of the feeds the dynamic mode builds (onnxruntime's names). */
export type AdapterFeedType = 'float32' | 'float16' | 'int64';

/** One input of the rewritten model: plain typed data a backend turns into its tensor. */
export interface AdapterFeed {
  readonly type: AdapterFeedType;
  /** Row-major values (float16 as `Uint16Array` bits). Shared with later calls: do not change them. */
  readonly data: Float32Array | Uint16Array | BigInt64Array;
  readonly dims: readonly number[];
}

function f32(data: Float32Array, dims: readonly number[]): AdapterFeed {
  return { type: 'float32', data, dims };
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

/** Element-wise product of vectors (undefined: all ones). */
function product(vectors: readonly (Float32Array | undefined)[]): Float32Array | undefined {
  let out: Float32Array | undefined;
  for (const v of vectors) {
    if (!v) continue;
    if (!out) out = Float32Array.from(v);
    else for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * (v[i] as number);
  }
  return out;
}

/**
 * The low-rank feeds of one branch: each slot sums its layers in order, as PEFT sums the active adapters. With
 * DoRA, PEFT's running result is scaled by each adapter's `g` in turn (`y_k − b = g_k ⊙ (y_{k−1} − b) + g_k·Δ_k`),
 * so the slot's factor is `Π g` and layer k's B is scaled by `Π_{j≥k} g_j`. Ranks are zero-padded to the
 * largest slot. @internal
 */
export function lowRankFeeds(
  branch: AdapterBranch,
  slots: readonly (readonly PreparedLowRank[])[],
): Record<string, AdapterFeed> {
  const { inFeatures: inF, outFeatures: outF, inputs } = branch;
  const n = slots.length;
  const R = Math.max(0, ...slots.map((terms) => terms.reduce((sum, t) => sum + t.rank, 0)));
  const feeds: Record<string, AdapterFeed> = {};
  const solo = n === 1 && slots[0]?.length === 1 ? slots[0][0] : undefined;
  if (solo) {
    // one layer: the prepared arrays are the feeds, no copies
    feeds[inputs.A as string] = f32(solo.at, [inF, 1, R]);
    feeds[inputs.B as string] = f32(solo.solo, [1, R, outF]);
    if (inputs.g) feeds[inputs.g] = f32(solo.g ?? ones(outF), [1, outF]);
    if (inputs.bias) feeds[inputs.bias] = f32(scaled(solo.bias, solo.g, outF), [1, outF]);
    return feeds;
  }
  const A = new Float32Array(inF * n * R);
  const B = new Float32Array(n * R * outF);
  const g = inputs.g ? ones(n * outF) : undefined;
  const bias = inputs.bias ? new Float32Array(n * outF) : undefined;
  slots.forEach((terms, j) => {
    const suffix = terms.map((_, k) => product(terms.slice(k).map((t) => t.g)));
    if (g && suffix[0]) g.set(suffix[0], j * outF);
    let col = 0;
    terms.forEach((term, k) => {
      const factor = suffix[k];
      const r = term.rank;
      for (let i = 0; i < inF; i++) A.set(term.at.subarray(i * r, (i + 1) * r), (i * n + j) * R + col);
      for (let c = 0; c < r; c++) {
        const row = (j * R + col + c) * outF;
        for (let o = 0; o < outF; o++) B[row + o] = (term.bt[c * outF + o] as number) * (factor?.[o] ?? 1);
      }
      if (bias && term.bias) {
        const b = scaled(term.bias, factor, outF);
        for (let o = 0; o < outF; o++) bias[j * outF + o] = (bias[j * outF + o] as number) + (b[o] as number);
      }
      col += r;
    });
  });
  feeds[inputs.A as string] = f32(A, [inF, n, R]);
  feeds[inputs.B as string] = f32(B, [n, R, outF]);
  if (inputs.g && g) feeds[inputs.g] = f32(g, [n, outF]);
  if (inputs.bias && bias) feeds[inputs.bias] = f32(bias, [n, outF]);
  return feeds;
}

function scaled(v: Float32Array | undefined, factor: Float32Array | undefined, n: number): Float32Array {
  if (!v) return new Float32Array(n);
  return factor ? v.map((x, i) => x * (factor[i] as number)) : v;
}

/** The IA³ feed of one branch: each slot multiplies its layers' vectors (PEFT's product over active adapters). @internal */
export function ia3Feed(
  branch: AdapterBranch,
  slots: readonly (readonly Float32Array[])[],
): Record<string, AdapterFeed> {
  const dim = branch.feedforward ? branch.inFeatures : branch.outFeatures;
  const n = slots.length;
  const only = n === 1 && slots[0]?.length === 1 ? slots[0][0] : undefined;
  const data = only ?? new Float32Array(n * dim);
  if (!only) {
    slots.forEach((vectors, j) => {
      data.set(product(vectors) ?? ones(dim), j * dim);
    });
  }
  return { [branch.inputs.ia3 as string]: f32(data, [n, dim]) };
}

/** Values in the type a replace branch feeds. @internal */
export function typedFeed(
  values: Float32Array,
  type: number,
  dims: readonly number[],
  what: string,
): AdapterFeed {
  if (type === DataType.FLOAT) return f32(values, dims);
  if (type === DataType.FLOAT16) return { type: 'float16', data: f32ToF16(values), dims };
  throw new AdapterError(
    'UNSUPPORTED_FEATURE',
    `${what} is fed as ${dataTypeName(type)}; dynamic mode feeds FLOAT and FLOAT16 weights (use mode 'merged')`,
  );
}

/**
 * A `modules_to_save` weight in the layout the rewritten operator reads (`[in, out]` or `[out, in]`): PyTorch
 * stores nn.Linear `[out, in]`, GPT-2 Conv1D `[in, out]` and embeddings `[num_embeddings, dim]`. @internal
 */
export async function replacementWeight(
  branch: AdapterBranch,
  replacement: AdapterReplacement,
  fanInFanOut: boolean,
): Promise<Float32Array> {
  const { inFeatures: inF, outFeatures: outF } = branch;
  const [s0, s1] = replacement.tensor.shape;
  const fits = replacement.tensor.shape.length === 2;
  const inOut = fits && s0 === inF && s1 === outF;
  const outIn = fits && s0 === outF && s1 === inF && branch.location.op !== 'Gather';
  if (!inOut && !outIn) {
    throw new AdapterError(
      'SHAPE_MISMATCH',
      `${replacement.name}: the adapter's ${showShape(replacement.tensor.shape)} does not fit the ONNX weight ` +
        `(${inF}→${outF}); the adapter was trained on a different base model`,
      { module: branch.module },
    );
  }
  const own = inOut && outIn ? (fanInFanOut ? 'in_out' : 'out_in') : inOut ? 'in_out' : 'out_in';
  const values = await replacement.tensor.float32();
  if (own === branch.weightLayout) return values;
  return own === 'in_out' ? transpose(values, inF, outF) : transpose(values, outF, inF);
}
