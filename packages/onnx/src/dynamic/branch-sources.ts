import { transpose } from '@peftjs/kernels';
import type { GraphEditor } from '../graph/graph-editor.js';
import type { BiasLocation, WeightLocation, WeightUse } from '../locate/types.js';
import type { ExternalDataSource } from '../model/external-data.js';
import { readTensorFloat32 } from '../model/tensor-data.js';
import type { NodeProto } from '../model/types.js';
import type { BranchPlan } from './emit-branches.js';
import type { BranchWeight } from './types.js';

/**
 * The weight as `use`'s operator reads it (through the Transposes on the way), as float32: what a replace
 * branch feeds when no adapter replaces it, and what DoRA's norms are taken of. @internal
 */
export async function readBaseWeight(
  location: WeightLocation,
  use: WeightUse,
  source: ExternalDataSource | undefined,
): Promise<BranchWeight> {
  const data = await readTensorFloat32(location.tensor, source);
  const [d0, d1] = location.tensor.dims as [number, number];
  const flips = use.path.filter((n) => n.opType === 'Transpose').length;
  if (flips % 2 === 0) return { data, rows: d0, cols: d1, layout: location.layout };
  return { data: transpose(data, d0, d1), rows: d1, cols: d0, layout: location.layout };
}

/** The bias next to a use, as float32 `[out]`, or undefined when there is none. @internal */
export async function readBaseBias(
  bias: BiasLocation | undefined,
  source: ExternalDataSource | undefined,
): Promise<Float32Array | undefined> {
  return bias ? readTensorFloat32(bias.tensor, source) : undefined;
}

/**
 * After replace branches rewired their operators to inputs, removes the Identity/Cast/Transpose nodes and the
 * initializers (or Constant nodes) nothing reads any more, so the session does not hold a second copy of a
 * weight that is fed anyway. Tied weights other modules still read stay. @internal
 */
export function removeUnusedSources(editor: GraphEditor, plans: readonly BranchPlan[]): void {
  const chains: { nodes: readonly NodeProto[]; value: string; constant?: NodeProto }[] = [];
  for (const plan of plans) {
    const { location, target } = plan;
    for (const use of plan.uses) {
      if (target.weight) {
        chains.push({
          nodes: use.use.path,
          value: location.initializer,
          ...(location.constant ? { constant: location.constant } : {}),
        });
      }
      if (target.bias && use.bias) chains.push({ nodes: use.bias.path, value: use.bias.initializer });
    }
  }
  for (const chain of chains) {
    for (const node of [...chain.nodes].reverse()) {
      if (!editor.index.scopeOf(node)) continue;
      if (node.output.every((o) => o === '' || editor.uses(o).length === 0)) editor.removeNode(node);
    }
    if (editor.uses(chain.value).length > 0) continue;
    if (chain.constant) {
      if (editor.index.scopeOf(chain.constant)) editor.removeNode(chain.constant);
      continue;
    }
    const ref = editor.index.initializer(chain.value);
    if (!ref) continue;
    const list = ref.scope.graph.initializer;
    list.splice(list.indexOf(ref.tensor), 1);
    editor.refresh();
  }
}
