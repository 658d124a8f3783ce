import type { FloatBuffer, Weight } from '@peftjs/kernels';
import type { MergeTarget } from '@peftjs/onnx';
import type { Dtype } from '@peftjs/safetensors';
import type { TensorOperation } from '../merge-plan.js';
import { mergeTensor } from '../merge-tensor.js';
import type { AddedBias } from './add-bias.js';
import type { AdapterPlan, LocatedLayer, LocatedReplacement } from './plan-adapter.js';

const DTYPES: Record<string, Dtype> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

/** Runs runtime's merge operations (the same kernels `mergeAdapter` uses) on a buffer `mergeIntoModel` hands out. */
async function applyOps(
  buffer: FloatBuffer,
  shape: readonly number[],
  ops: readonly TensorOperation[],
): Promise<void> {
  const { data } = buffer;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const dtype = DTYPES[buffer.dtype] as Dtype;
  const out = await mergeTensor({ name: '', dtype, shape, data: bytes }, ops);
  // mergeTensor works in place on aligned buffers (always the case here); copy back otherwise.
  if (out !== bytes) bytes.set(out);
}

function layerTarget({ layer, kind, location }: LocatedLayer): MergeTarget {
  if (layer.kind === 'ia3') {
    const scalesBias = !layer.isFeedforward && location.bias !== undefined;
    return {
      module: layer.module,
      kind,
      merge: (w: Weight, c) =>
        applyOps(w, [w.rows, w.cols], [{ op: 'ia3', layer, fanInFanOut: c.fanInFanOut }]),
      ...(scalesBias
        ? { mergeBias: (b: FloatBuffer) => applyOps(b, [b.data.length], [{ op: 'ia3-bias', layer }]) }
        : {}),
    };
  }
  return {
    module: layer.module,
    kind,
    merge: (w: Weight, c) =>
      applyOps(w, [w.rows, w.cols], [{ op: 'lora', layer, fanInFanOut: c.fanInFanOut }]),
    ...(layer.loraBias === undefined
      ? {}
      : { mergeBias: (b: FloatBuffer) => applyOps(b, [b.data.length], [{ op: 'lora-bias', layer }]) }),
  };
}

async function replacementTarget(r: LocatedReplacement, edits: MergeEdits): Promise<void> {
  const values = await r.replacement.tensor.float32();
  if (r.addBias) {
    edits.biases.push({ module: r.module, location: r.location, values });
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
  const edits: MergeEdits = { biases: [], targets: [] };
  for (const plan of loaded) {
    for (const r of plan.replacements) if (r.scope === 'loaded') await replacementTarget(r, edits);
  }
  for (const plan of active) {
    for (const r of plan.replacements) if (r.scope === 'active') await replacementTarget(r, edits);
  }
  for (const plan of active) for (const l of plan.layers) edits.targets.push(layerTarget(l));
  return edits;
}
