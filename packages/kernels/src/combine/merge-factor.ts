import { KernelError } from '../errors.js';
import type { CombineLoraLayerOptions } from './combination-types.js';
import { dareLinear, dareTies, magnitudePrune, taskArithmetic, ties } from './merge-methods.js';
import { checkDensity } from './prune.js';
import type { RandomSource } from './seeded-random.js';

/**
 * Runs the merge_utils function of a (non-cat) combination type on task tensors.
 *
 * @internal
 */
export function mergeFactor(
  type: CombineLoraLayerOptions['type'],
  tensors: readonly Float32Array[],
  weights: readonly number[],
  options: Pick<CombineLoraLayerOptions, 'density' | 'majoritySignMethod'>,
  random: RandomSource,
): Float32Array {
  const method = options.majoritySignMethod ?? 'total';
  switch (type) {
    case 'linear':
    case 'svd':
      return taskArithmetic(tensors, weights);
    case 'ties':
    case 'ties_svd':
      checkDensity(options.density);
      return ties(tensors, weights, options.density, method);
    case 'dare_linear':
    case 'dare_linear_svd':
      checkDensity(options.density);
      return dareLinear(tensors, weights, options.density, random);
    case 'dare_ties':
    case 'dare_ties_svd':
      checkDensity(options.density);
      return dareTies(tensors, weights, options.density, random, method);
    case 'magnitude_prune':
    case 'magnitude_prune_svd':
      checkDensity(options.density);
      return magnitudePrune(tensors, weights, options.density);
    default:
      throw new KernelError('UNKNOWN_COMBINATION', `Invalid combination type: ${type}`, { value: type });
  }
}
