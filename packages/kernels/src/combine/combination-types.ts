import type { MajoritySignMethod } from './merge-methods.js';

/** Every `combination_type` of PEFT 0.21's `LoraModel.add_weighted_adapter`. */
export type CombinationType =
  | 'svd'
  | 'linear'
  | 'cat'
  | 'ties'
  | 'ties_svd'
  | 'dare_ties'
  | 'dare_linear'
  | 'dare_ties_svd'
  | 'dare_linear_svd'
  | 'magnitude_prune'
  | 'magnitude_prune_svd';

/** The combination types, in PEFT's documentation order. */
export const COMBINATION_TYPES: readonly CombinationType[] = [
  'svd',
  'linear',
  'cat',
  'ties',
  'ties_svd',
  'dare_ties',
  'dare_linear',
  'dare_ties_svd',
  'dare_linear_svd',
  'magnitude_prune',
  'magnitude_prune_svd',
];

/**
 * Whether `value` is one of PEFT's combination types.
 *
 * @param value - anything
 * @returns true for a {@link CombinationType}
 */
export function isCombinationType(value: unknown): value is CombinationType {
  return typeof value === 'string' && (COMBINATION_TYPES as readonly string[]).includes(value);
}

/** Types that combine A and B separately with signed square-root weights (PEFT's `_generalized_task_arithmetic`). */
export const FACTOR_TYPES: readonly CombinationType[] = [
  'linear',
  'ties',
  'dare_linear',
  'dare_ties',
  'magnitude_prune',
];

/**
 * Whether the type combines full deltas `B·A` and re-factors them with an SVD (names ending in `svd`).
 *
 * @param type - a combination type
 * @returns true for `svd`, `ties_svd`, `dare_linear_svd`, `dare_ties_svd`, `magnitude_prune_svd`
 */
export function isSvdCombination(type: CombinationType): boolean {
  return type.endsWith('svd');
}

/** One source adapter's tensors on the layer being combined. */
export interface LoraLayerAdapter {
  /** `lora_A` (or `lora_embedding_A`) as stored: `r × inFeatures`, row-major float32. */
  readonly A: Float32Array;
  /** `lora_B` (or `lora_embedding_B`) as stored: `outFeatures × r`, row-major float32. */
  readonly B: Float32Array;
  /** This layer's rank for the adapter (rank_pattern applied). */
  readonly r: number;
  /** Columns of A (for Conv2d: in_channels·kh·kw, A flattened). */
  readonly inFeatures: number;
  /** Rows of B. */
  readonly outFeatures: number;
  /** This layer's scaling for the adapter: `lora_alpha / r` or `/ sqrt(r)` with rsLoRA, patterns applied. */
  readonly scaling: number;
  /** The adapter's weight in the combination (may be negative). */
  readonly weight: number;
}

/** Options of `combineLoraLayer`: one layer of `add_weighted_adapter`. */
export interface CombineLoraLayerOptions {
  /** The source adapters present on this layer, in the call's order (skip the absent ones, as PEFT does). */
  readonly adapters: readonly LoraLayerAdapter[];
  /** The combination type PEFT uses (from `combinedLoraConfigChanges`: `linear` when the call had one adapter). */
  readonly type: CombinationType;
  /** Fraction kept by the pruning types (`ties*`, `dare*`, `magnitude_prune*`); ≥ 1 keeps everything. */
  readonly density?: number;
  /** TIES sign election. @defaultValue 'total' */
  readonly majoritySignMethod?: MajoritySignMethod;
  /**
   * Rank of the combined adapter (`combinedLoraConfigChanges(...).changes.r`). `cat` pads A/B to it; svd types
   * keep that many singular triplets. Defaults to what this layer alone implies (Σ r for `cat`,
   * `svdRank || max r` for svd types).
   */
  readonly newRank?: number;
  /** PEFT's `svd_rank`, used only when `newRank` is not given (0 or undefined ⇒ max r, as PEFT's `or`). */
  readonly svdRank?: number;
  /**
   * PEFT's `svd_clamp`: clamp B and A to ±quantile of their signed entries. The quantile depends on the sign of
   * each singular pair, which LAPACK picks and peftjs cannot reproduce (see `svd`), so clamped results equal
   * PEFT's only where the signs happen to agree (with signs aligned to PEFT's they match within 1e-5).
   */
  readonly svdClamp?: number;
  /**
   * PEFT's `svd_full_matrices` (only changes which ranks above min(out, in) are allowed; PEFT's `svd_driver` is a
   * CUDA-only choice and has no counterpart). @defaultValue true
   */
  readonly svdFullMatrices?: boolean;
  /** Seed of the DARE masks (use `deriveSeed(seed, moduleName)` per layer). @defaultValue 0 */
  readonly seed?: number;
  /** The layer stores its weight transposed (GPT-2 `Conv1D`, `fan_in_fan_out=True`). @defaultValue false */
  readonly fanInFanOut?: boolean;
  /** The layer is an `nn.Embedding` (`lora_embedding_A/B`). @defaultValue false */
  readonly embedding?: boolean;
}

/** The combined adapter's tensors on one layer. */
export interface CombinedLoraLayer {
  /** New `lora_A`: `r × inFeatures`, float32. */
  readonly A: Float32Array;
  /** New `lora_B`: `outFeatures × r`, float32. */
  readonly B: Float32Array;
  /** Rank of A and B on this layer. */
  readonly r: number;
}
