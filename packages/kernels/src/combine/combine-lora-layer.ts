import { KernelError } from '../errors.js';
import {
  type CombinedLoraLayer,
  type CombineLoraLayerOptions,
  isCombinationType,
  isSvdCombination,
  type LoraLayerAdapter,
} from './combination-types.js';
import { combineSvdLayer } from './combine-svd-layer.js';
import { mergeFactor } from './merge-factor.js';
import { createSeededRandom } from './seeded-random.js';

/**
 * One layer of PEFT 0.21's `LoraModel.add_weighted_adapter`: the new adapter's A and B on a layer, from the source
 * adapters present on that layer.
 *
 * - `cat`: `A = concat_rows(wᵢ·sᵢ·Aᵢ)`, `B = concat_cols(Bᵢ)`, zero-padded to `newRank`.
 * - `linear`, `ties`, `dare_linear`, `dare_ties`, `magnitude_prune`: A and B combined separately, A with weights
 *   `sign(wᵢsᵢ)·√|wᵢsᵢ|`, B with `√|wᵢsᵢ|` (all ranks equal).
 * - svd types: the deltas `sᵢ·Bᵢ·Aᵢ` combined with weights `wᵢ`, then `B = U·diag(S)`, `A = Vh` (top `newRank`),
 *   optionally clamped.
 *
 * Arithmetic follows torch's float32 rounding; `dare*` with density < 1 draws its masks from a seeded generator
 * instead of torch's RNG.
 *
 * @param options - the adapters on this layer and the call's arguments
 * @returns the new A (`r × in`) and B (`out × r`), float32
 * @throws {KernelError} `NO_ADAPTERS`, `SHAPE_MISMATCH`, `RANK_MISMATCH`, `INVALID_DENSITY`, `INVALID_ARGUMENT`,
 *   `UNKNOWN_COMBINATION`, `SVD_RANK_TOO_LARGE`
 * @example
 * ```ts
 * const { A, B, r } = combineLoraLayer({
 *   adapters: [
 *     { A: a1, B: b1, r: 8, inFeatures: 64, outFeatures: 64, scaling: 2, weight: 0.7 },
 *     { A: a2, B: b2, r: 8, inFeatures: 64, outFeatures: 64, scaling: 1, weight: 0.3 },
 *   ],
 *   type: 'ties',
 *   density: 0.5,
 * });
 * ```
 */
export function combineLoraLayer(options: CombineLoraLayerOptions): CombinedLoraLayer {
  const { adapters, type } = options;
  if (!isCombinationType(type)) {
    throw new KernelError('UNKNOWN_COMBINATION', `Invalid combination_type: ${String(type)}`, {
      value: type,
    });
  }
  checkAdapters(adapters);
  if (type === 'cat') return combineCat(adapters, options.newRank);
  if (isSvdCombination(type)) return combineSvdLayer(options);
  return combineFactors(options);
}

function checkAdapters(adapters: readonly LoraLayerAdapter[]): void {
  const first = adapters[0];
  if (first === undefined) {
    throw new KernelError('NO_ADAPTERS', 'No matching LoRAs found: no adapter is present on this layer');
  }
  adapters.forEach((ad, i) => {
    for (const key of ['r', 'inFeatures', 'outFeatures'] as const) {
      if (!Number.isInteger(ad[key]) || ad[key] < 0) {
        throw new KernelError('INVALID_ARGUMENT', `adapter ${i}: ${key} must be a non-negative integer`, {
          value: ad[key],
        });
      }
    }
    for (const key of ['scaling', 'weight'] as const) {
      if (typeof ad[key] !== 'number' || !Number.isFinite(ad[key])) {
        throw new KernelError('INVALID_ARGUMENT', `adapter ${i}: ${key} must be a finite number`, {
          value: ad[key],
        });
      }
    }
    if (ad.A.length !== ad.r * ad.inFeatures || ad.B.length !== ad.outFeatures * ad.r) {
      throw new KernelError(
        'SHAPE_MISMATCH',
        `adapter ${i}: A has ${ad.A.length} values and B ${ad.B.length}; expected ${ad.r}×${ad.inFeatures} and ` +
          `${ad.outFeatures}×${ad.r}`,
        { value: [ad.A.length, ad.B.length] },
      );
    }
    if (ad.inFeatures !== first.inFeatures || ad.outFeatures !== first.outFeatures) {
      throw new KernelError(
        'SHAPE_MISMATCH',
        `adapter ${i} is ${ad.outFeatures}×${ad.inFeatures} but adapter 0 is ${first.outFeatures}×${first.inFeatures}`,
      );
    }
  });
}

function combineCat(adapters: readonly LoraLayerAdapter[], newRank: number | undefined): CombinedLoraLayer {
  const total = adapters.reduce((sum, ad) => sum + ad.r, 0);
  const r = newRank ?? total;
  if (!Number.isInteger(r) || r < total) {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `cat: newRank ${String(newRank)} is smaller than the ${total} rows the adapters on this layer need`,
      { value: newRank },
    );
  }
  const first = adapters[0] as LoraLayerAdapter;
  const inF = first.inFeatures;
  const outF = first.outFeatures;
  const A = new Float32Array(r * inF);
  const B = new Float32Array(outF * r);
  let offset = 0;
  for (const ad of adapters) {
    // torch: `A * weight * scaling`, two float32 products with the scalars cast to float32.
    const w = Math.fround(ad.weight);
    const s = Math.fround(ad.scaling);
    for (let j = 0; j < ad.A.length; j++) {
      A[offset * inF + j] = Math.fround((ad.A[j] as number) * w) * s;
    }
    for (let o = 0; o < outF; o++) {
      for (let c = 0; c < ad.r; c++) B[o * r + offset + c] = ad.B[o * ad.r + c] as number;
    }
    offset += ad.r;
  }
  return { A, B, r };
}

function combineFactors(options: CombineLoraLayerOptions): CombinedLoraLayer {
  const { adapters, type } = options;
  const r = (adapters[0] as LoraLayerAdapter).r;
  if (adapters.some((ad) => ad.r !== r)) {
    throw new KernelError(
      'RANK_MISMATCH',
      `All adapters must have the same r value when using combination_type ${type}; got ranks ` +
        adapters.map((ad) => ad.r).join(', '),
      { value: adapters.map((ad) => ad.r) },
    );
  }
  const weightsA: number[] = [];
  const weightsB: number[] = [];
  for (const ad of adapters) {
    // PEFT 0.21: the sign goes on A only, so that negative weights survive the product B·A.
    const ws = ad.weight * ad.scaling;
    const root = Math.sqrt(Math.abs(ws));
    weightsA.push(ws >= 0 ? root : -root);
    weightsB.push(root);
  }
  const random = createSeededRandom(options.seed ?? 0);
  const A = mergeFactor(
    type,
    adapters.map((ad) => ad.A),
    weightsA,
    options,
    random,
  );
  const B = mergeFactor(
    type,
    adapters.map((ad) => ad.B),
    weightsB,
    options,
    random,
  );
  return { A, B, r };
}
