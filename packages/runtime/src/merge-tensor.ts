import {
  type AdaloraLinear,
  type FloatDtype,
  fromFloat32,
  type LoraEmbedding,
  type LoraLinear,
  mergeAdalora,
  mergeDora,
  mergeDoraEmbedding,
  mergeIa3,
  mergeIa3Bias,
  mergeLora,
  mergeLoraBias,
  mergeLoraEmbedding,
  type Weight,
} from '@peftjs/kernels';
import type { Dtype } from '@peftjs/safetensors';
import type { LoraLayer } from './adapter-layer.js';
import { wrapError } from './errors.js';
import type { TensorOperation } from './merge-plan.js';

/**
 * Runs the big in-place merges on several threads: `@peftjs/kernels/node`'s `createKernelPool()` satisfies it.
 * Results must be bit-identical to the single-thread kernels.
 */
export interface MergePool {
  /** `mergeLora` on worker threads. */
  mergeLora(weight: Weight, lora: LoraLinear): Promise<void>;
  /** `mergeLoraEmbedding` on worker threads. */
  mergeLoraEmbedding(weight: Weight, lora: LoraEmbedding): Promise<void>;
  /** `mergeAdalora` on worker threads. */
  mergeAdalora(weight: Weight, ada: AdaloraLinear): Promise<void>;
}

/** A base tensor's bytes while it is merged. @internal */
export interface TensorBytes {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

const KERNEL_DTYPES: Partial<Record<Dtype, FloatDtype>> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };

/**
 * Applies a planned tensor's operations to its bytes, in place where the bytes are aligned (the merged tensor is
 * never copied whole), through `@peftjs/kernels`.
 *
 * @param tensor - the base tensor as read (its buffer is changed)
 * @param ops - the plan's operations for it
 * @param pool - optional worker pool for the big low-rank merges
 * @returns the merged bytes (the same buffer, or an aligned copy)
 * @throws {AdapterError} when a kernel rejects the inputs
 * @internal
 */
export async function mergeTensor(
  tensor: TensorBytes,
  ops: readonly TensorOperation[],
  pool?: MergePool,
): Promise<Uint8Array> {
  const dtype = KERNEL_DTYPES[tensor.dtype];
  if (dtype === undefined) throw new Error(`unreachable: ${tensor.name} is ${tensor.dtype}`);
  const width = dtype === 'f32' ? 4 : 2;
  // Typed-array views need aligned offsets; a misaligned read (only from unusual byte sources) is copied once.
  const bytes = tensor.data.byteOffset % width === 0 ? tensor.data : tensor.data.slice();
  const count = bytes.byteLength / width;
  const data =
    dtype === 'f32'
      ? new Float32Array(bytes.buffer, bytes.byteOffset, count)
      : new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const rows = tensor.shape[0] ?? 1;
  const weight: Weight = { data, dtype, rows, cols: rows === 0 ? 0 : count / rows };
  for (const op of ops) {
    try {
      await apply(op, weight, pool);
    } catch (error) {
      const module = op.op === 'replace' ? op.replacement.name : op.layer.module;
      throw wrapError(error, 'BAD_ADAPTER', `merging ${module} into ${tensor.name} failed`);
    }
  }
  return bytes;
}

async function apply(op: TensorOperation, weight: Weight, pool: MergePool | undefined): Promise<void> {
  switch (op.op) {
    case 'replace': {
      const values = await op.replacement.tensor.float32();
      // PEFT loads it with load_state_dict: a copy cast to the parameter's dtype (round to nearest even).
      if (weight.dtype === 'f32') (weight.data as Float32Array).set(values);
      else (weight.data as Uint16Array).set(fromFloat32(values, weight.dtype) as Uint16Array);
      return;
    }
    case 'lora':
      return mergeLoraLayer(weight, op.layer, op.fanInFanOut, pool);
    case 'lora-bias': {
      const bias = await (op.layer.loraBias as NonNullable<LoraLayer['loraBias']>).float32();
      mergeLoraBias(weight, bias, op.layer.scaling);
      return;
    }
    case 'ia3':
      mergeIa3(weight, {
        l: await op.layer.ia3.float32(),
        feedforward: op.layer.isFeedforward,
        fanInFanOut: op.fanInFanOut,
      });
      return;
    case 'ia3-bias':
      mergeIa3Bias(weight, { l: await op.layer.ia3.float32(), feedforward: false });
      return;
  }
}

async function mergeLoraLayer(
  weight: Weight,
  layer: LoraLayer,
  fanInFanOut: boolean,
  pool: MergePool | undefined,
): Promise<void> {
  const { rank, inFeatures, outFeatures } = layer;
  if (layer.adalora !== undefined) {
    const { A, E, ranknum, scaling } = layer.adalora;
    const ada: AdaloraLinear = {
      a: await A.float32(),
      e: await E.float32(),
      b: await layer.B.float32(),
      rank,
      inFeatures,
      outFeatures,
      scaling,
      ranknum,
      fanInFanOut,
    };
    if (pool) await pool.mergeAdalora(weight, ada);
    else mergeAdalora(weight, ada);
    return;
  }
  const a = await layer.A.float32();
  const b = await layer.B.float32();
  const magnitude = await layer.magnitude?.float32();
  if (layer.kind === 'lora-embedding') {
    const emb: LoraEmbedding = {
      a,
      b,
      rank,
      numEmbeddings: inFeatures,
      embeddingDim: outFeatures,
      scaling: layer.scaling,
    };
    if (magnitude !== undefined) mergeDoraEmbedding(weight, { ...emb, magnitude });
    else if (pool) await pool.mergeLoraEmbedding(weight, emb);
    else mergeLoraEmbedding(weight, emb);
    return;
  }
  const lora: LoraLinear = { a, b, rank, inFeatures, outFeatures, scaling: layer.scaling, fanInFanOut };
  if (magnitude !== undefined) mergeDora(weight, { ...lora, magnitude });
  else if (pool) await pool.mergeLora(weight, lora);
  else mergeLora(weight, lora);
}
