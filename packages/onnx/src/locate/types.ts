import type { ExternalDataSource } from '../model/external-data.js';
import type { NodeProto, TensorProto } from '../model/types.js';

/** The operator that reads a located weight. */
export type WeightOp = 'MatMul' | 'Gemm' | 'Gather';

/**
 * How the initializer is laid out, in the module's own terms: `'out_in'` is `[out_features, in_features]`
 * (nn.Linear's layout, Gemm with `transB=1`); `'in_out'` is `[in, out]` (a MatMul's B = Wᵀ, GPT-2 Conv1D,
 * Gemm with `transB=0`, and an embedding table `[num_embeddings, dim]`, whose "in" is the vocabulary).
 */
export type WeightLayout = 'out_in' | 'in_out';

/** What kind of module is looked for: a linear layer (MatMul/Gemm) or an embedding (Gather). */
export type WeightKind = 'linear' | 'embedding';

/** How a weight was found, in the order the strategies are tried. */
export type LocateStrategy = 'initializer-name' | 'node-scope' | 'name-scopes' | 'value-match';

/** One operator input that reads the weight. */
export interface WeightUse {
  /** The MatMul, Gemm or Gather node. */
  readonly node: NodeProto;
  /** Which of its inputs is the weight (1 for MatMul/Gemm B, 0 for Gather data). */
  readonly inputIndex: number;
  readonly op: WeightOp;
  /** The initializer's layout as this node sees it (through any Transpose on the way). */
  readonly layout: WeightLayout;
  /** Identity, Cast and Transpose nodes between the initializer and `node`, initializer side first. */
  readonly path: readonly NodeProto[];
}

/** A bias added to the module's output: Gemm's C input, or an Add right after the MatMul/Gemm. */
export interface BiasLocation {
  /** Name of the initializer holding the bias. */
  readonly initializer: string;
  readonly tensor: TensorProto;
  /** The Gemm or Add node reading it. */
  readonly node: NodeProto;
  readonly inputIndex: number;
  /** Identity/Cast nodes between the initializer and `node`, initializer side first. */
  readonly path: readonly NodeProto[];
}

/** Where a PEFT module's weight lives in an ONNX graph, and how it was found. */
export interface WeightLocation {
  /** The PEFT module name looked for (e.g. `model.decoder.layers.0.self_attn.q_proj`). */
  readonly module: string;
  /** Name of the initializer (or Constant output) holding the weight. */
  readonly initializer: string;
  readonly tensor: TensorProto;
  /** The Constant node holding the tensor, when it is not an initializer. */
  readonly constant?: NodeProto;
  /** The operator of the first use. */
  readonly op: WeightOp;
  readonly layout: WeightLayout;
  /** Name of the first use's node. */
  readonly node: string;
  /** Every node input that belongs to this module (several for a module called more than once). */
  readonly uses: readonly WeightUse[];
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** A `DataType` code. */
  readonly dataType: number;
  readonly strategy: LocateStrategy;
  /** A sentence saying what matched, e.g. `node "/decoder/layers.0/self_attn/q_proj/MatMul" reads "onnx::MatMul_363"`. */
  readonly detail: string;
  /** Other nodes that read the same initializer (tied or deduplicated weights); merging must copy it first. */
  readonly sharedWith: readonly string[];
  /** Value matches only: whether the initializer holds the base weight transposed. */
  readonly matchedTransposed?: boolean;
  /** The module's bias, when one is found next to the weight. */
  readonly bias?: BiasLocation;
}

/** A base checkpoint weight: row-major float32 values and their 2-D shape, as PyTorch stores the parameter. */
export interface BaseWeight {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Gives a module's base weight (`<module>.weight` of the checkpoint), or undefined when there is none. */
export type BaseWeightFn = (module: string) => Promise<BaseWeight | undefined> | BaseWeight | undefined;

/** Options of `WeightLocator`. */
export interface WeightLocatorOptions {
  /** Reads external tensors (needed to match values of external initializers). */
  source?: ExternalDataSource;
  /** Enables the value-matching strategy against a base checkpoint. */
  baseWeight?: BaseWeightFn;
}

/** One module to locate, with an optional kind (needed where a weight is tied to another module's). */
export interface LocateRequest {
  readonly module: string;
  readonly kind?: WeightKind;
}
