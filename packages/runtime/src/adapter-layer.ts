import type { AdapterTensor } from './adapter-tensor.js';

/**
 * A LoRA-family layer on one targeted module: plain LoRA, DoRA (`magnitude`), `lora_bias`, AdaLoRA (in LoRA form,
 * `adalora` keeps the saved triplet), on a linear / GPT-2 `Conv1D` layer (`kind: 'lora'`) or an `nn.Embedding`
 * (`kind: 'lora-embedding'`).
 */
export interface LoraLayer {
  /** `'lora'` (Linear / Conv1D) or `'lora-embedding'` (`lora_embedding_A/B`). */
  readonly kind: 'lora' | 'lora-embedding';
  /** The module's dotted name in the task model (`model.layers.0.self_attn.q_proj`). */
  readonly module: string;
  /**
   * `lora_A`, `[rank, inFeatures]` (embeddings: `[rank, numEmbeddings]`). For AdaLoRA the LoRA form `A ⊙ E`, computed
   * when read.
   */
  readonly A: AdapterTensor;
  /** `lora_B`, `[outFeatures, rank]` (embeddings: `[embeddingDim, rank]`). */
  readonly B: AdapterTensor;
  /** r of this module (rank_pattern applied; AdaLoRA: the ranks its rank_pattern kept). */
  readonly rank: number;
  /** lora_alpha of this module (alpha_pattern applied). */
  readonly alpha: number;
  /**
   * ΔW = scaling · B·A: `alpha / r` (`alpha / √r` with rsLoRA); AdaLoRA `lora_alpha / (ranknum + 1e-5)` (ranknum =
   * init_r, PEFT keeps it after rank_pattern cuts ranks).
   */
  readonly scaling: number;
  /** Columns of A: `in_features` (embeddings: the vocabulary size). */
  readonly inFeatures: number;
  /** Rows of B: `out_features` (embeddings: the embedding dim). */
  readonly outFeatures: number;
  /**
   * The config's `fan_in_fan_out` (true for GPT-2 `Conv1D`, whose weight is stored `[in, out]`). A merge decides
   * from the base weight's shape when it is not square, as PEFT decides from the layer type.
   */
  readonly fanInFanOut: boolean;
  /** DoRA: `lora_magnitude_vector`, `[outFeatures]` (embeddings: `[embeddingDim]`). */
  readonly magnitude?: AdapterTensor;
  /** `lora_bias=True`: `lora_B.bias`, `[outFeatures]`, merged as `b += scaling · b_B`. */
  readonly loraBias?: AdapterTensor;
  /** AdaLoRA: the saved tensors and numbers (merges use them directly, for PEFT's exact rounding). */
  readonly adalora?: AdaloraParts;
}

/** The saved AdaLoRA triplet of a layer, before it is put in LoRA form. */
export interface AdaloraParts {
  /** `lora_A`, `[rank, inFeatures]`. */
  readonly A: AdapterTensor;
  /** `lora_E`, `[rank, 1]`. */
  readonly E: AdapterTensor;
  /** `ranknum`: the config's `init_r`. */
  readonly ranknum: number;
  /** AdaLoRA's own scaling: `lora_alpha` (or the rank when `lora_alpha <= 0`), not yet divided by ranknum. */
  readonly scaling: number;
  /** `init_r`: the rank the layer had while training (print_trainable_parameters counts it). */
  readonly initR: number;
}

/** An IA³ layer on one targeted module. */
export interface Ia3Layer {
  /** Always `'ia3'`. */
  readonly kind: 'ia3';
  /** The module's dotted name in the task model. */
  readonly module: string;
  /** `ia3_l`: `[out, 1]` (scales outputs) or `[1, in]` for feed-forward modules (scales inputs). */
  readonly ia3: AdapterTensor;
  /** Whether the module is in `feedforward_modules` (the vector scales its input). */
  readonly isFeedforward: boolean;
  /** Length of the vector. */
  readonly size: number;
  /** The config's `fan_in_fan_out` (see {@link LoraLayer.fanInFanOut}). */
  readonly fanInFanOut: boolean;
}

/** One layer record of an {@link Adapter}: what the adapter adds to one targeted module. */
export type AdapterLayer = LoraLayer | Ia3Layer;

/**
 * A base-model tensor the adapter replaces as it loads (PEFT's `load_state_dict` of non-tuner keys):
 * `modules_to_save` copies, biases trained with `bias="all"` / `"lora_only"`, saved embedding layers.
 */
export interface AdapterReplacement {
  /** The base tensor's name in the task model (`classifier.weight`, `model.decoder.layers.0.fc1.bias`). */
  readonly name: string;
  /** The values that replace it. */
  readonly tensor: AdapterTensor;
  /**
   * Why the file holds it: `'modules_to_save'` (a module listed there), `'base_layer'` (a targeted module's own
   * parameter saved as `<module>.base_layer.<p>`: lora_only biases, embedding layers), `'bias'` (`bias="all"`) or
   * `'weight'` (any other base parameter, e.g. a resized embedding).
   */
  readonly reason: 'modules_to_save' | 'base_layer' | 'bias' | 'weight';
}
