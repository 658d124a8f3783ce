/**
 * PEFT 0.21's weighted adapter combinations (`add_weighted_adapter` for LoRA and IA3), the merge_utils functions
 * they use, and the SVD.
 */
export type {
  CombinationType,
  CombinedLoraLayer,
  CombineLoraLayerOptions,
  LoraLayerAdapter,
} from './combination-types.js';
export { COMBINATION_TYPES, isCombinationType, isSvdCombination } from './combination-types.js';
export {
  type CombinedLoraConfigChanges,
  combinedIa3ConfigChanges,
  combinedLoraConfigChanges,
  type Ia3ConfigForCombination,
  joinModuleSelectors,
  type LoraConfigForCombination,
  type ModuleSelector,
} from './combine-config.js';
export {
  CombineError,
  type CombineErrorCode,
  type CombineErrorOptions,
  isCombineError,
} from './combine-error.js';
export { combineIa3Vectors, type Ia3LayerVector } from './combine-ia3-vectors.js';
export { combineLoraLayer } from './combine-lora-layer.js';
export {
  calculateMajoritySignMask,
  dareLinear,
  dareTies,
  disjointMerge,
  type MajoritySignMethod,
  magnitudePrune,
  taskArithmetic,
  ties,
} from './merge-methods.js';
export { magnitudeBasedPruning, type PruneMethod, type PruneOptions, prune, randomPruning } from './prune.js';
export { createSeededRandom, deriveSeed, type RandomSource } from './seeded-random.js';
export { type SvdOptions, type SvdResult, svd } from './svd.js';
export { clampSvdFactors, torchQuantile } from './svd-clamp.js';
export { torchTopkIndices } from './torch-topk.js';
