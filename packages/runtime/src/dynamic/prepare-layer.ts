import { doraEmbeddingFactor, doraFactor, transpose } from '@peftjs/kernels';
import type { AdapterBranch } from '@peftjs/onnx';
import type { Adapter } from '../adapter.js';
import type { Ia3Layer, LoraLayer } from '../adapter-layer.js';
import { wrapError } from '../errors.js';

/** A LoRA-family layer in the form the feeds hold it (float32, scaling folded). @internal */
export interface PreparedLowRank {
  readonly rank: number;
  /** `Aᵀ`, `[in, rank]`. */
  readonly at: Float32Array;
  /** `(s·B)ᵀ`, `[rank, out]`. */
  readonly bt: Float32Array;
  /** DoRA: `g = m / ‖W + s·B·A‖` per output channel. */
  readonly g?: Float32Array;
  /** lora_bias: `s·b_B`, `[out]`. */
  readonly bias?: Float32Array;
  /** `bt` with `g` folded into its columns (what a slot holding only this layer feeds). */
  readonly solo: Float32Array;
}

const lowRankCache = new WeakMap<AdapterBranch, WeakMap<LoraLayer, Promise<PreparedLowRank>>>();
const vectorCache = new WeakMap<AdapterBranch, WeakMap<Ia3Layer, Promise<Float32Array>>>();

function cached<TKey extends object, TValue>(
  cache: WeakMap<AdapterBranch, WeakMap<TKey, Promise<TValue>>>,
  branch: AdapterBranch,
  key: TKey,
  make: () => Promise<TValue>,
): Promise<TValue> {
  let inner = cache.get(branch);
  if (!inner) {
    inner = new WeakMap();
    cache.set(branch, inner);
  }
  let value = inner.get(key);
  if (!value) {
    value = make();
    // a failed preparation is not kept: the next call tries again
    value.catch(() => inner.delete(key));
    inner.set(key, value);
  }
  return value;
}

function scaleColumns(m: Float32Array, cols: number, factor: Float32Array | undefined): Float32Array {
  if (!factor) return m;
  const out = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = (m[i] as number) * (factor[i % cols] as number);
  return out;
}

async function prepareLowRank(branch: AdapterBranch, layer: LoraLayer): Promise<PreparedLowRank> {
  const { rank, inFeatures: inF, outFeatures: outF, scaling } = layer;
  const [a, b] = await Promise.all([layer.A.float32(), layer.B.float32()]);
  const s = Math.fround(scaling);
  const bt = transpose(b, outF, rank);
  for (let i = 0; i < bt.length; i++) bt[i] = Math.fround((bt[i] as number) * s);
  let g: Float32Array | undefined;
  if (layer.magnitude) {
    const magnitude = await layer.magnitude.float32();
    const w = await branch.readBaseWeight();
    const weight = { data: w.data, dtype: 'f32' as const, rows: w.rows, cols: w.cols };
    g =
      layer.kind === 'lora-embedding'
        ? doraEmbeddingFactor(weight, {
            a,
            b,
            rank,
            numEmbeddings: inF,
            embeddingDim: outF,
            scaling,
            magnitude,
          })
        : doraFactor(weight, {
            a,
            b,
            rank,
            inFeatures: inF,
            outFeatures: outF,
            scaling,
            magnitude,
            fanInFanOut: w.layout === 'in_out',
          });
  }
  let bias: Float32Array | undefined;
  if (layer.loraBias) bias = (await layer.loraBias.float32()).map((v) => Math.fround(v * s));
  return {
    rank,
    at: transpose(a, rank, inF),
    bt,
    solo: scaleColumns(bt, outF, g),
    ...(g ? { g } : {}),
    ...(bias ? { bias } : {}),
  };
}

/**
 * A LoRA-family layer prepared for a branch, computed once per (branch, layer) and kept while both live (DoRA
 * reads the base weight through the branch). @internal
 */
export function preparedLowRank(branch: AdapterBranch, layer: LoraLayer): Promise<PreparedLowRank> {
  return cached(lowRankCache, branch, layer, () =>
    prepareLowRank(branch, layer).catch((error: unknown) => {
      throw wrapError(error, 'INVALID_FILE', `preparing ${layer.module} for dynamic mode failed`);
    }),
  );
}

/** An IA³ layer's vector as float32, read once per (branch, layer). @internal */
export function preparedIa3(branch: AdapterBranch, layer: Ia3Layer): Promise<Float32Array> {
  return cached(vectorCache, branch, layer, () => layer.ia3.float32());
}

/** The adapter's replacement of a module parameter by `modules_to_save`, if any. @internal */
export function modulesToSave(adapter: Adapter, name: string) {
  return adapter.replacements.find((r) => r.reason === 'modules_to_save' && r.name === name);
}
