import type { Adapter } from './adapter.js';
import type { AdapterReplacement, Ia3Layer, LoraLayer } from './adapter-layer.js';
import type { BaseCheckpoint, CheckpointTensorInfo } from './base-checkpoint.js';
import { AdapterError, showShape } from './errors.js';
import { type NameMapping, resolveBaseNames } from './resolve-base-names.js';

/** One change to a base tensor, applied in order while it is merged. */
export type TensorOperation =
  /** Overwrite with the adapter's tensor (cast to the base dtype), as PEFT's `load_state_dict` does. */
  | { readonly op: 'replace'; readonly replacement: AdapterReplacement }
  /** `W += ΔW` (LoRA, AdaLoRA, embeddings) or DoRA's rescaled merge; `fanInFanOut`: W is stored `[in, out]`. */
  | { readonly op: 'lora'; readonly layer: LoraLayer; readonly fanInFanOut: boolean }
  /** `b += scaling · lora_B.bias`. */
  | { readonly op: 'lora-bias'; readonly layer: LoraLayer }
  /** `W ⊙= l` along the input (feed-forward) or output dimension. */
  | { readonly op: 'ia3'; readonly layer: Ia3Layer; readonly fanInFanOut: boolean }
  /** `b ⊙= l` (non-feed-forward IA3 layers). */
  | { readonly op: 'ia3-bias'; readonly layer: Ia3Layer };

/** A base tensor and what happens to it. */
export interface PlannedTensor {
  /** Its name (the checkpoint's, kept in the output). */
  readonly name: string;
  /** dtype, shape, file. */
  readonly info: CheckpointTensorInfo;
  /** Changes, in order; empty: copied unchanged. */
  readonly ops: readonly TensorOperation[];
}

/** A validated merge: every target found, every shape checked, before anything is written. */
export interface MergePlan {
  /** The base checkpoint. */
  readonly base: BaseCheckpoint;
  /** The adapter. */
  readonly adapter: Adapter;
  /** How the adapter's module names map onto the checkpoint's. */
  readonly mapping: NameMapping;
  /** The output weight files (same names as the base's), each with its tensors in file order. */
  readonly files: readonly { readonly name: string; readonly tensors: readonly PlannedTensor[] }[];
  /** Number of tensors in the checkpoint. */
  readonly total: number;
  /** Number of tensors the adapter changes. */
  readonly changed: number;
}

const MERGEABLE = new Set(['F32', 'F16', 'BF16']);

/**
 * Plans merging `adapter` into `base` (PEFT's `merge_and_unload()` on the saved checkpoint): maps each layer and
 * replacement to its base tensor and checks every shape and dtype, so a wrong base fails before any byte is
 * written.
 *
 * @param base - the base checkpoint
 * @param adapter - the adapter
 * @returns the plan
 * @throws {AdapterError} `TARGET_NOT_FOUND` (a target the checkpoint lacks), `SHAPE_MISMATCH` (naming the module and
 *   both shapes), `UNSUPPORTED_FEATURE` (a non-float target weight)
 */
export function planMerge(base: BaseCheckpoint, adapter: Adapter): MergePlan {
  const needed: string[] = [];
  for (const layer of adapter.layers) {
    needed.push(`${layer.module}.weight`);
    if (layer.kind !== 'ia3' && layer.loraBias !== undefined) needed.push(`${layer.module}.bias`);
  }
  for (const r of adapter.replacements) needed.push(r.name);
  const hint = adapter.config.base_model_name_or_path ?? 'another model';
  const mapping = resolveBaseNames(needed, (n) => base.has(n), base.tensorNames(), hint);
  const ops = new Map<string, TensorOperation[]>();
  const push = (name: string, op: TensorOperation) => {
    const list = ops.get(name);
    if (list === undefined) ops.set(name, [op]);
    else list.push(op);
  };
  for (const replacement of adapter.replacements) {
    const name = mapping.map(replacement.name);
    const info = base.info(name);
    if (!sameShape(info.shape, replacement.tensor.shape)) {
      throw mismatch(
        replacement.name,
        `${replacement.tensor.name} ${showShape(replacement.tensor.shape)}`,
        name,
        info,
      );
    }
    push(name, { op: 'replace', replacement });
  }
  for (const layer of adapter.layers) {
    const name = mapping.map(`${layer.module}.weight`);
    const info = base.info(name);
    if (layer.kind === 'ia3') {
      push(name, { op: 'ia3', layer, fanInFanOut: ia3Layout(layer, name, info) });
      const bias = mapping.map(`${layer.module}.bias`);
      if (!layer.isFeedforward && base.has(bias)) {
        checkBias(layer.module, layer.ia3.name, layer.size, bias, base.info(bias));
        push(bias, { op: 'ia3-bias', layer });
      }
      continue;
    }
    push(name, { op: 'lora', layer, fanInFanOut: loraLayout(layer, name, info) });
    if (layer.loraBias !== undefined) {
      const bias = mapping.map(`${layer.module}.bias`);
      checkBias(layer.module, layer.loraBias.name, layer.outFeatures, bias, base.info(bias));
      push(bias, { op: 'lora-bias', layer });
    }
  }
  for (const [name, list] of ops) {
    const info = base.info(name);
    if (!MERGEABLE.has(info.dtype)) {
      throw new AdapterError(
        'UNSUPPORTED_FEATURE',
        `base tensor ${name} is ${info.dtype}; merging needs F32, F16 or BF16 weights (quantized bases are not supported)`,
        { module: moduleOf(list[0]) },
      );
    }
  }
  const files = base.weightFiles.map((file) => ({
    name: file,
    tensors: base
      .tensorsOf(file)
      .map((t) => ({ name: t.name, info: base.info(t.name), ops: ops.get(t.name) ?? [] })),
  }));
  return { base, adapter, mapping, files, total: base.tensorNames().length, changed: ops.size };
}

function moduleOf(op: TensorOperation | undefined): string | undefined {
  if (op === undefined) return undefined;
  return op.op === 'replace' ? op.replacement.name : op.layer.module;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function mismatch(
  module: string,
  adapterSide: string,
  name: string,
  info: CheckpointTensorInfo,
): AdapterError {
  return new AdapterError(
    'SHAPE_MISMATCH',
    `${module}: the adapter's ${adapterSide} does not fit the base tensor ${name} ${showShape(info.shape)}; ` +
      'the adapter was trained on a different base model',
    { module },
  );
}

/** Whether a LoRA layer's base weight is stored `[in, out]` (GPT-2 Conv1D), decided from its shape. */
function loraLayout(layer: LoraLayer, name: string, info: CheckpointTensorInfo): boolean {
  const { inFeatures: i, outFeatures: o } = layer;
  const shape = info.shape;
  const side = `lora ${layer.kind === 'lora-embedding' ? 'embedding ' : ''}A ${showShape(layer.A.shape)} / B ${showShape(layer.B.shape)}`;
  if (shape.length !== 2) throw mismatch(layer.module, side, name, info);
  const [rows, cols] = shape as [number, number];
  // nn.Embedding(V, D) stores [V, D]: A is [r, V], B is [D, r].
  if (layer.kind === 'lora-embedding') {
    if (rows === i && cols === o) return false;
    throw mismatch(layer.module, `${side} (expects [${i}, ${o}])`, name, info);
  }
  const linear = rows === o && cols === i;
  const conv1d = rows === i && cols === o;
  if (linear && conv1d) return layer.fanInFanOut;
  if (linear || conv1d) return conv1d;
  throw mismatch(layer.module, `${side} (expects [${o}, ${i}], or [${i}, ${o}] for Conv1D)`, name, info);
}

/** Whether an IA3 layer's base weight is stored `[in, out]`, decided from its shape. */
function ia3Layout(layer: Ia3Layer, name: string, info: CheckpointTensorInfo): boolean {
  const shape = info.shape;
  const side = `ia3_l ${showShape(layer.ia3.shape)}`;
  if (shape.length !== 2) throw mismatch(layer.module, side, name, info);
  const [rows, cols] = shape as [number, number];
  // Linear [out, in]: outputs are rows, inputs columns; Conv1D [in, out] the other way round.
  const linear = layer.isFeedforward ? cols === layer.size : rows === layer.size;
  const conv1d = layer.isFeedforward ? rows === layer.size : cols === layer.size;
  if (linear && conv1d) return layer.fanInFanOut;
  if (linear || conv1d) return conv1d;
  const dim = layer.isFeedforward ? 'input' : 'output';
  throw mismatch(layer.module, `${side} (scales the ${dim} dimension, ${layer.size} wide)`, name, info);
}

function checkBias(
  module: string,
  what: string,
  size: number,
  name: string,
  info: CheckpointTensorInfo,
): void {
  if (info.shape.length !== 1 || info.shape[0] !== size) {
    throw mismatch(module, `${what} [${size}]`, name, info);
  }
}
