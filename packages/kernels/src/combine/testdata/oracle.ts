/**
 * Types of `oracle.json` (written by `make-oracle.py` with torch / PEFT 0.21): base64 arrays, see
 * `fixture-helpers.ts` for the decoders. @internal
 */
export interface Oracle {
  readonly versions: { readonly torch: string; readonly peft: string };
  readonly topk: readonly { x: string; k: number; indices: string }[];
  readonly prune: readonly { x: string; density: number; expected: string }[];
  readonly majority_sign_mask: readonly {
    tensors: string[];
    method: 'total' | 'frequency';
    expected: string;
  }[];
  readonly merge: readonly {
    tensors: string[];
    weights: number[];
    density: number;
    method: 'total' | 'frequency';
    task_arithmetic: string;
    magnitude_prune: string;
    ties: string;
    dare_linear_d1: string;
    dare_ties_d1: string;
  }[];
  readonly quantile: readonly { x: string; q: number; expected: number }[];
  readonly svd: readonly { m: number; n: number; a: string; s: string; u?: string; vh?: string }[];
}

/**
 * Parses the oracle file's text.
 *
 * @internal
 */
export function parseOracle(text: string): Oracle {
  return JSON.parse(text) as Oracle;
}
