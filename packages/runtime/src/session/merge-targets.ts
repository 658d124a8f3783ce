import type { FloatBuffer, Weight } from '@peftjs/kernels';
import { DataType, type MergeTarget, type WeightLocation } from '@peftjs/onnx';
import type { Dtype } from '@peftjs/safetensors';
import type { TensorOperation } from '../merge-plan.js';
import { mergeTensor } from '../merge-tensor.js';
import type { AddedBias } from './add-bias.js';
import { type HalfStorage, inHalf, roundTo } from './half-storage.js';
import type { AdapterPlan, LocatedLayer, LocatedReplacement } from './plan-adapter.js';
import type { ParameterSlot } from './replace-parameter.js';

const DTYPES: Record<string, Dtype> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

/** Runs runtime's merge operations (the same kernels `mergeAdapter` uses) on a buffer `mergeIntoModel` hands out. */
async function applyOps(
  buffer: FloatBuffer,
  shape: readonly number[],
  ops: readonly TensorOperation[],
  half: HalfStorage | undefined,
): Promise<void> {
  if (half !== undefined && buffer.dtype === 'f32') {
    const data = buffer.data as Float32Array;
    await inHalf(data, half, (bits) => applyOps({ data: bits, dtype: half }, shape, ops, undefined));
    return;
  }
  const { data } = buffer;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const dtype = DTYPES[buffer.dtype] as Dtype;
  const out = await mergeTensor({ name: '', dtype, shape, data: bytes }, ops);
  // mergeTensor works in place on aligned buffers (always the case here); copy back otherwise.
  if (out !== bytes) bytes.set(out);
}

/** Biases the graph lacks (zero in the base, dropped by the exporter), by module, built up in merge order. */
type MissingBiases = Map<string, AddedBias>;

function missingBias(missing: MissingBiases, module: string, location: WeightLocation): AddedBias {
  let entry = missing.get(module);
  if (entry === undefined) {
    entry = { module, location, values: new Float32Array(location.outFeatures) };
    missing.set(module, entry);
  }
  return entry;
}

/** The half type a bias of this weight is computed in. */
function biasHalf(location: WeightLocation, half: HalfStorage | undefined): HalfStorage | undefined {
  if (location.dataType === DataType.FLOAT16) return 'f16';
  if (location.dataType === DataType.BFLOAT16) return 'bf16';
  return half;
}

async function layerTarget(
  { layer, kind, location, half }: LocatedLayer,
  missing: MissingBiases,
): Promise<MergeTarget> {
  if (layer.kind === 'ia3') {
    const scalesBias = !layer.isFeedforward && location.bias !== undefined;
    return {
      module: layer.module,
      kind,
      merge: (w: Weight, c) =>
        applyOps(w, [w.rows, w.cols], [{ op: 'ia3', layer, fanInFanOut: c.fanInFanOut }], half),
      ...(scalesBias
        ? { mergeBias: (b: FloatBuffer) => applyOps(b, [b.data.length], [{ op: 'ia3-bias', layer }], half) }
        : {}),
    };
  }
  const addsBias = layer.loraBias !== undefined && location.bias === undefined;
  if (addsBias) {
    const { values } = missingBias(missing, layer.module, location);
    await applyOps(
      { data: values, dtype: 'f32' },
      [values.length],
      [{ op: 'lora-bias', layer }],
      biasHalf(location, half),
    );
  }
  return {
    module: layer.module,
    kind,
    merge: (w: Weight, c) =>
      applyOps(w, [w.rows, w.cols], [{ op: 'lora', layer, fanInFanOut: c.fanInFanOut }], half),
    ...(layer.loraBias === undefined || addsBias
      ? {}
      : { mergeBias: (b: FloatBuffer) => applyOps(b, [b.data.length], [{ op: 'lora-bias', layer }], half) }),
  };
}

async function replacementTarget(
  r: LocatedReplacement,
  edits: MergeEdits,
  missing: MissingBiases,
): Promise<void> {
  const values = roundTo(await r.replacement.tensor.float32(), r.half);
  if (r.addBias) {
    missingBias(missing, r.module, r.location).values.set(values);
    return;
  }
  const kind = r.kind === undefined ? {} : { kind: r.kind };
  edits.targets.push(
    r.param === 'bias'
      ? { module: r.module, ...kind, replaceBias: values }
      : { module: r.module, ...kind, replaceWeight: values, layout: r.layout },
  );
}

/** What a merged model needs: biases to add to the graph first, then `mergeIntoModel` targets. @internal */
export interface MergeEdits {
  readonly biases: AddedBias[];
  readonly parameters: { readonly slot: ParameterSlot; readonly values: Float32Array }[];
  readonly targets: MergeTarget[];
}

/**
 * The `mergeIntoModel` targets for a session state, in PEFT's order: parameters every loaded adapter wrote into
 * the base (load order), then the active adapters' modules_to_save copies, then their layers (deltas summed in the
 * order the adapters were set).
 *
 * @param loaded - plans of every loaded adapter, in load order
 * @param active - plans of the active adapters when adapters are enabled (empty when disabled)
 * @returns the edits (none: the base model as it is)
 * @internal
 */
export async function mergeTargets(
  loaded: readonly AdapterPlan[],
  active: readonly AdapterPlan[],
): Promise<MergeEdits> {
  const edits: MergeEdits = { biases: [], parameters: [], targets: [] };
  const missing: MissingBiases = new Map();
  const replace = async (plan: AdapterPlan, scope: 'active' | 'loaded') => {
    for (const r of plan.replacements) if (r.scope === scope) await replacementTarget(r, edits, missing);
    for (const p of plan.parameters) {
      if (p.scope === scope)
        edits.parameters.push({ slot: p.slot, values: await p.replacement.tensor.float32() });
    }
  };
  for (const plan of loaded) await replace(plan, 'loaded');
  for (const plan of active) await replace(plan, 'active');
  for (const plan of active) for (const l of plan.layers) edits.targets.push(await layerTarget(l, missing));
  edits.biases.push(...missing.values());
  return edits;
}
