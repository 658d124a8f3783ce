import type { BaseWeightFn, WeightKind, WeightLayout, WeightLocation } from '../locate/types.js';
import type { ExternalDataSource } from '../model/external-data.js';
import type { ModelProto } from '../model/types.js';

/**
 * What a branch adds to a module: `'lora'` (a low-rank term on a MatMul/Gemm, also AdaLoRA in LoRA form and DoRA
 * with `dora`), `'lora-embedding'` (the same on an embedding Gather), `'ia3'` (a per-channel scale) or
 * `'replace'` (the module's weight and/or bias read from inputs: `modules_to_save`).
 */
export type AdapterBranchKind = 'lora' | 'lora-embedding' | 'ia3' | 'replace';

/** One module to give an adapter branch. A module may have one low-rank branch, IA³ branches and one replace. */
export interface AdapterBranchTarget {
  /** The PEFT module name (`model.layers.0.self_attn.q_proj`). */
  readonly module: string;
  readonly kind: AdapterBranchKind;
  /** `'lora'` / `'lora-embedding'`: adds the per-channel factor input `g` (DoRA). */
  readonly dora?: boolean;
  /** `'lora'`: adds a bias input for `lora_B.bias` (`lora_bias=True`). */
  readonly loraBias?: boolean;
  /** `'ia3'`: scale the module's input (feed-forward modules) instead of its output. */
  readonly feedforward?: boolean;
  /** `'replace'`: feed the weight. */
  readonly weight?: boolean;
  /** `'replace'`: feed the bias. */
  readonly bias?: boolean;
  /** `'replace'`: whether the module is a linear layer or an embedding (tied weights); tried as given, else both. */
  readonly moduleKind?: WeightKind;
}

/** Names of the graph inputs a branch reads; which ones exist depends on the kind. */
export interface AdapterBranchInputs {
  /** Low rank: float32 `[in, slots, R]` (embeddings `[num_embeddings, slots, R]`): each slot's `Aᵀ` columns. */
  readonly A?: string;
  /** Low rank: float32 `[slots, R, out]`: each slot's `(s·B)ᵀ` rows (DoRA factors folded in). */
  readonly B?: string;
  /** DoRA: float32 `[slots, out]`, the factor applied to the base output (ones for slots without DoRA). */
  readonly g?: string;
  /**
   * Low rank with `loraBias`: float32 `[slots, out]`, added to the output. Replace with `bias`: the module's bias
   * `[out]`, in `biasType`.
   */
  readonly bias?: string;
  /** IA³: float32 `[slots, dim]` (dim: in for feed-forward modules, else out); ones for no scaling. */
  readonly ia3?: string;
  /** Replace with `weight`: the weight in `weightLayout` and `weightType`. */
  readonly weight?: string;
}

/** A module's weight as the rewritten operator reads it, as float32 values. */
export interface BranchWeight {
  /** Row-major values. */
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** `'in_out'` (`[in, out]`: MatMul, Gemm `transB=0`, embedding tables) or `'out_in'` (Gemm `transB=1`). */
  readonly layout: WeightLayout;
}

/** One branch added to the graph: the inputs to feed and what they must hold. */
export interface AdapterBranch {
  /** Position in the target list; input names carry it (`lora.<index>.A`). */
  readonly index: number;
  readonly module: string;
  readonly kind: AdapterBranchKind;
  readonly dora: boolean;
  readonly loraBias: boolean;
  readonly feedforward: boolean;
  readonly inputs: AdapterBranchInputs;
  /** The module's in_features (embeddings: the vocabulary size). */
  readonly inFeatures: number;
  /** The module's out_features (embeddings: the embedding dim). */
  readonly outFeatures: number;
  /** Where the module's weight was found. */
  readonly location: WeightLocation;
  /** Replace: layout of the `weight` input (the operator's view of the weight). */
  readonly weightLayout?: WeightLayout;
  /** Replace: `DataType` of the `weight` input (the operator's compute type). */
  readonly weightType?: number;
  /** Replace: `DataType` of the `bias` input. */
  readonly biasType?: number;
  /**
   * The base weight as the operator reads it, as float32 (DoRA factors need it; replace feeds it when no adapter
   * replaces the weight).
   */
  readBaseWeight(): Promise<BranchWeight>;
  /** The base bias `[out]` as float32, or undefined when the module has none. */
  readBaseBias(): Promise<Float32Array | undefined>;
}

/** Options of {@link injectAdapterBranches}. */
export interface InjectAdapterBranchesOptions {
  /** Reads the model's external tensors (DoRA and replace read base weights; value matching). */
  source?: ExternalDataSource;
  /** Base checkpoint weights, for locating anonymous weights by value. */
  baseWeight?: BaseWeightFn;
  /**
   * `'per-row'` (default): every input has an `adapter_slots` dimension and `adapter_index` picks each row's slot.
   * `'uniform'`: one adapter set for the whole batch, minimal branches (`A` `[in, R]`, `B` `[R, out]`, `g`/`bias`
   * `[out]`, `ia3` `[dim]`) and no `adapter_index`.
   */
  rows?: AdapterRows;
}

/** How a rewritten model picks adapters: one set for every row, or one slot per row. */
export type AdapterRows = 'uniform' | 'per-row';

/** The rewritten model and how to feed it. */
export interface InjectedAdapterBranches {
  /** The model, rewritten in place. */
  readonly model: ModelProto;
  /** One branch per target, in target order. */
  readonly branches: readonly AdapterBranch[];
  /** Which variant was built (see {@link InjectAdapterBranchesOptions.rows}). */
  readonly rows: AdapterRows;
  /** Name of the int64 `[batch]` input that picks each row's slot; undefined in the uniform variant. */
  readonly adapterIndexInput: string | undefined;
}
