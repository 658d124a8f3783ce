import { KernelError } from '../errors.js';
import { type CombinationType, FACTOR_TYPES, isCombinationType } from './combination-types.js';

/** A module selector as `adapter_config.json` holds it: a list of names, a regex string, or null. */
export type ModuleSelector = string | readonly string[] | null;

/** The fields of a source LoRA config that `add_weighted_adapter` reads (snake_case, as in the JSON). */
export interface LoraConfigForCombination {
  readonly r: number;
  readonly rank_pattern?: Readonly<Record<string, number>> | null;
  readonly target_modules: ModuleSelector;
  readonly target_parameters?: readonly string[] | null;
}

/** What {@link combinedLoraConfigChanges} returns. */
export interface CombinedLoraConfigChanges {
  /** The type PEFT actually uses: `linear` when only one adapter is combined. */
  readonly combinationType: CombinationType;
  /**
   * Fields to overwrite in a copy of the first adapter's config (everything else, `use_rslora` included, is
   * inherited: with rsLoRA the new scaling is `r / sqrt(r)`, otherwise 1).
   */
  readonly changes: {
    readonly r: number;
    readonly lora_alpha: number;
    readonly target_modules: string | string[];
    readonly rank_pattern: Record<string, number>;
    readonly alpha_pattern: Record<string, number>;
  };
}

/**
 * The new adapter's rank, type and config changes, as PEFT 0.21's `_check_add_weighted_adapter` and
 * `add_weighted_adapter` compute them.
 *
 * - Ranks: each adapter's `max(r, ...rank_pattern values)`. `linear`, `ties`, `dare_*` (non-svd) and
 *   `magnitude_prune` need them equal; `cat` sums them; svd types use `svdRank || max`.
 * - `target_modules`: the union of the lists (first-seen order; PEFT holds a Python set, whose saved order is the
 *   set's iteration order), or `"(t1)|(t2)"` for regex strings.
 * - `r = lora_alpha = new rank`, `rank_pattern = alpha_pattern = {}`.
 *
 * @param configs - the source adapters' configs, in the call's order
 * @param type - the requested combination type
 * @param svdRank - PEFT's `svd_rank` (0 or undefined ⇒ max rank)
 * @returns the effective type and the config fields to change
 * @throws {KernelError} `NO_ADAPTERS`, `TARGET_PARAMETERS_UNSUPPORTED`, `RANK_MISMATCH`, `UNKNOWN_COMBINATION`,
 *   `TARGET_MODULES_MISMATCH`
 * @example
 * ```ts
 * const { combinationType, changes } = combinedLoraConfigChanges([configA, configB], 'cat');
 * const newConfig = { ...configA, ...changes };
 * ```
 */
export function combinedLoraConfigChanges(
  configs: readonly LoraConfigForCombination[],
  type: CombinationType,
  svdRank?: number,
): CombinedLoraConfigChanges {
  if (configs.length === 0) {
    throw new KernelError('NO_ADAPTERS', 'Found no adapter to combine');
  }
  configs.forEach((c, i) => {
    if (c.target_parameters && c.target_parameters.length > 0) {
      throw new KernelError(
        'TARGET_PARAMETERS_UNSUPPORTED',
        `add_weighted_adapter does not support targeting nn.Parameter (problematic adapter ${i})`,
        { value: c.target_parameters },
      );
    }
  });
  const combinationType: CombinationType = configs.length === 1 ? 'linear' : type;
  const ranks = configs.map((c) =>
    c.rank_pattern && Object.keys(c.rank_pattern).length > 0
      ? Math.max(c.r, ...Object.values(c.rank_pattern))
      : c.r,
  );
  let rank: number;
  if (FACTOR_TYPES.includes(combinationType)) {
    if (new Set(ranks).size !== 1) {
      throw new KernelError(
        'RANK_MISMATCH',
        'All adapters must have the same r value when using combination_type linear, ties, dare_ties or ' +
          `dare_linear; got ${ranks.join(', ')}`,
        { value: ranks },
      );
    }
    rank = ranks[0] as number;
  } else if (combinationType === 'cat') {
    rank = ranks.reduce((a, b) => a + b, 0);
  } else if (isCombinationType(combinationType) && combinationType.endsWith('svd')) {
    rank = svdRank || Math.max(...ranks);
  } else {
    throw new KernelError('UNKNOWN_COMBINATION', `Invalid combination_type: ${String(type)}`, {
      value: type,
    });
  }
  return {
    combinationType,
    changes: {
      r: rank,
      lora_alpha: rank,
      target_modules: joinModuleSelectors(configs.map((c) => c.target_modules)),
      rank_pattern: {},
      alpha_pattern: {},
    },
  };
}

/**
 * Joins module selectors as PEFT's weighted-adapter code does: union of lists (first-seen order), or
 * `"(a)|(b)"` for regex strings; mixing the two, or null, is an error.
 *
 * @param selectors - one selector per source adapter
 * @param field - the config field, for error messages
 * @returns the joined selector
 * @throws {KernelError} `TARGET_MODULES_MISMATCH`
 * @example
 * ```ts
 * joinModuleSelectors([['q_proj', 'v_proj'], ['v_proj', 'k_proj']]); // ['q_proj', 'v_proj', 'k_proj']
 * joinModuleSelectors(['.*q_proj', '.*v_proj']); // '(.*q_proj)|(.*v_proj)'
 * ```
 */
export function joinModuleSelectors(
  selectors: readonly ModuleSelector[],
  field = 'target_modules',
): string | string[] {
  if (selectors.length === 0) {
    throw new KernelError('NO_ADAPTERS', `Found no adapter to take ${field} from`);
  }
  const strings = selectors.filter((s): s is string => typeof s === 'string');
  if (strings.length === selectors.length) return strings.map((s) => `(${s})`).join('|');
  if (selectors.some((s) => s === null) || strings.length > 0) {
    throw new KernelError(
      'TARGET_MODULES_MISMATCH',
      `all adapter configs should follow the same ${field} type; combining lists with regex strings (or null) ` +
        'is not supported',
      { value: selectors },
    );
  }
  const union = new Set<string>();
  for (const list of selectors as readonly (readonly string[])[]) for (const name of list) union.add(name);
  return [...union];
}

/** The fields of a source IA3 config that `add_weighted_adapter` reads. */
export interface Ia3ConfigForCombination {
  readonly target_modules: ModuleSelector;
  readonly feedforward_modules: ModuleSelector;
}

/**
 * The new IA3 adapter's `target_modules` and `feedforward_modules` (PEFT 0.21 `IA3Model._check_add_weighted_adapter`):
 * each the union of lists or the `"(a)|(b)"` join of regex strings. Everything else is copied from the first
 * adapter's config.
 *
 * @param configs - the source adapters' configs, in the call's order
 * @returns the two fields to overwrite
 * @throws {KernelError} `NO_ADAPTERS`, `TARGET_MODULES_MISMATCH`
 * @example
 * ```ts
 * const newConfig = { ...configA, ...combinedIa3ConfigChanges([configA, configB]) };
 * ```
 */
export function combinedIa3ConfigChanges(configs: readonly Ia3ConfigForCombination[]): {
  target_modules: string | string[];
  feedforward_modules: string | string[];
} {
  return {
    target_modules: joinModuleSelectors(configs.map((c) => c.target_modules)),
    feedforward_modules: joinModuleSelectors(
      configs.map((c) => c.feedforward_modules),
      'feedforward_modules',
    ),
  };
}
