import type { GraphEditor } from '../graph/graph-editor.js';
import type { ModelIndex } from '../graph/model-index.js';
import type { WeightLocation } from '../locate/types.js';
import { tensorUses } from '../locate/weight-uses.js';
import type { NodeProto, TensorProto } from '../model/types.js';

/** Where one module's merged values go: the original tensor, or a private copy made at commit. @internal */
export interface Slot {
  readonly module: string;
  readonly original: TensorProto;
  /** Copy first: other modules or nodes read the original. */
  readonly copy: boolean;
  /** The tensor does not exist yet (a bias the exporter dropped because it was zero): create and attach it. */
  readonly create?: boolean;
  /** The merged values, once computed. */
  values?: Float32Array | Uint16Array;
}

/** One node input to rewire to a copy, and the Identity/Cast/Transpose nodes between it and the tensor. */
interface Reader {
  readonly node: NodeProto;
  readonly inputIndex: number;
  readonly path: readonly NodeProto[];
}

/** The plan made by {@link planOwnership}. @internal */
export interface OwnershipPlan {
  readonly weights: ReadonlyMap<string, Slot>;
  readonly biases: ReadonlyMap<string, Slot>;
  /** Writes the computed values into the model: in place, or into new initializers with rewired readers. */
  commit(
    editor: GraphEditor,
    write: (slot: Slot, tensor: TensorProto) => void,
  ): {
    weights: Map<string, { initializer: string; copied: boolean }>;
    biases: Map<string, { initializer: string; copied: boolean }>;
  };
}

const ids = new WeakMap<NodeProto, number>();
let nextId = 0;
/** A key for one input of one node (nodes compared by identity). */
function key(node: NodeProto, index: number): string {
  let id = ids.get(node);
  if (id === undefined) {
    id = nextId++;
    ids.set(node, id);
  }
  return `${id}:${index}`;
}

/** Every node input that reads a tensor through Identity/Cast nodes, plus whether anything else (a graph output) does. */
function readers(index: ModelIndex, name: string): { inputs: Set<string>; other: boolean } {
  const inputs = new Set<string>();
  let other = false;
  const visit = (value: string, depth: number): void => {
    for (const use of index.uses(value)) {
      if (!use.node) other = true;
      else if (
        (use.node.opType === 'Identity' || use.node.opType === 'Cast') &&
        use.node.output[0] &&
        depth < 16
      ) {
        visit(use.node.output[0], depth + 1);
      } else inputs.add(key(use.node, use.index));
    }
  };
  visit(name, 0);
  return { inputs, other };
}

/** Groups modules by the tensor they change; each gets the tensor itself only if nothing else reads it. */
function assign(
  groups: Map<
    TensorProto,
    { modules: string[]; claimed: Set<string>; shared: (claimed: Set<string>) => boolean }
  >,
): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  for (const [original, { modules, claimed, shared }] of groups) {
    const foreign = shared(claimed);
    modules.forEach((module, i) => {
      slots.set(module, { module, original, copy: foreign || i < modules.length - 1 });
    });
  }
  return slots;
}

/**
 * Decides, for each module's weight (and bias when asked), whether it can be changed in place or needs a
 * private copy: a copy is needed when another module changes the same tensor, or when any other node or a
 * graph output reads it (tied embeddings, deduplicated weights, shared zero biases). @internal
 */
export function planOwnership(
  index: ModelIndex,
  locations: readonly WeightLocation[],
  wantsBias: ReadonlySet<string>,
): OwnershipPlan {
  const weightGroups = new Map<
    TensorProto,
    { modules: string[]; claimed: Set<string>; shared: (c: Set<string>) => boolean }
  >();
  const biasGroups = new Map<
    TensorProto,
    { modules: string[]; claimed: Set<string>; shared: (c: Set<string>) => boolean }
  >();
  const weightReaders = new Map<string, Reader[]>();
  const created = new Map<string, WeightLocation>();
  const biasReaders = new Map<string, Reader[]>();
  for (const loc of locations) {
    let group = weightGroups.get(loc.tensor);
    if (!group) {
      const all = tensorUses(index, loc.initializer);
      group = {
        modules: [],
        claimed: new Set(),
        shared: (claimed) =>
          all.foreign.length > 0 || all.terminals.some((u) => !claimed.has(key(u.node, u.inputIndex))),
      };
      weightGroups.set(loc.tensor, group);
    }
    group.modules.push(loc.module);
    for (const u of loc.uses) group.claimed.add(key(u.node, u.inputIndex));
    weightReaders.set(loc.module, [...loc.uses]);
    const bias = loc.bias;
    if (!wantsBias.has(loc.module)) continue;
    if (!bias) {
      created.set(loc.module, loc);
      continue;
    }
    let bgroup = biasGroups.get(bias.tensor);
    if (!bgroup) {
      const all = readers(index, bias.initializer);
      bgroup = {
        modules: [],
        claimed: new Set(),
        shared: (claimed) => all.other || [...all.inputs].some((k) => !claimed.has(k)),
      };
      biasGroups.set(bias.tensor, bgroup);
    }
    bgroup.modules.push(loc.module);
    bgroup.claimed.add(key(bias.node, bias.inputIndex));
    biasReaders.set(loc.module, [{ node: bias.node, inputIndex: bias.inputIndex, path: bias.path }]);
  }
  const weights = assign(weightGroups);
  const biases = assign(biasGroups);
  for (const [module, loc] of created) {
    const bytes = new Uint8Array(loc.outFeatures * (loc.tensor.dataType === 1 ? 4 : 2));
    const zeros: TensorProto = {
      name: '',
      dims: [loc.outFeatures],
      dataType: loc.tensor.dataType,
      rawData: bytes,
      externalData: [],
      metadataProps: [],
    };
    biases.set(module, { module, original: zeros, copy: false, create: true });
  }
  const names = new Map(
    locations.map((l) => [l.module, { weight: l.initializer, bias: l.bias?.initializer ?? '' }]),
  );

  function commitOne(
    editor: GraphEditor,
    slot: Slot,
    suffix: 'weight' | 'bias',
    rewire: readonly Reader[],
    write: (slot: Slot, tensor: TensorProto) => void,
  ): { initializer: string; copied: boolean } {
    const original = names.get(slot.module)?.[suffix] ?? slot.original.name;
    if (!slot.values) return { initializer: original, copied: false };
    if (slot.create) return attachBias(editor, slot, created.get(slot.module) as WeightLocation, write);
    if (!slot.copy) {
      write(slot, slot.original);
      return { initializer: original, copied: false };
    }
    const tensor: TensorProto = {
      name: editor.uniqueName(`${slot.module}.${suffix}`),
      dims: [...slot.original.dims],
      dataType: slot.original.dataType,
      externalData: [],
      metadataProps: [],
    };
    write(slot, tensor);
    editor.addInitializer(tensor);
    for (const reader of rewire) {
      let value = tensor.name;
      // keep the Cast and Transpose nodes on the way (Identity nodes add nothing)
      for (const step of reader.path) {
        if (step.opType === 'Identity') continue;
        const output = editor.uniqueName(`${tensor.name}/${step.opType}`);
        editor.addNode(
          {
            opType: step.opType,
            domain: step.domain,
            inputs: [value],
            outputs: [output],
            attributes: step.attribute,
          },
          { before: reader.node },
        );
        value = output;
      }
      reader.node.input[reader.inputIndex] = value;
      editor.refresh();
    }
    return { initializer: tensor.name, copied: true };
  }

  return {
    weights,
    biases,
    commit(editor, write) {
      const out = { weights: new Map(), biases: new Map() };
      for (const [module, slot] of weights) {
        out.weights.set(module, commitOne(editor, slot, 'weight', weightReaders.get(module) ?? [], write));
      }
      for (const [module, slot] of biases) {
        out.biases.set(module, commitOne(editor, slot, 'bias', biasReaders.get(module) ?? [], write));
      }
      return out;
    },
  };
}

/**
 * Adds a bias to a module whose export has none (a zero bias the exporter folded away): Gemm gets it as its C
 * input; a MatMul's output goes through a new Add. Downstream value names do not change.
 */
function attachBias(
  editor: GraphEditor,
  slot: Slot,
  location: WeightLocation,
  write: (slot: Slot, tensor: TensorProto) => void,
): { initializer: string; copied: boolean } {
  const tensor: TensorProto = {
    name: editor.uniqueName(`${slot.module}.bias`),
    dims: [location.outFeatures],
    dataType: slot.original.dataType,
    externalData: [],
    metadataProps: [],
  };
  write(slot, tensor);
  editor.addInitializer(tensor);
  for (const use of location.uses) {
    const node = use.node;
    if (use.op === 'Gemm' && (node.input[2] ?? '') === '') {
      node.input[2] = tensor.name;
      continue;
    }
    const output = node.output[0] as string;
    const before = editor.uniqueName(`${output}/without_bias`);
    node.output[0] = before;
    editor.refresh();
    editor.addNode({ opType: 'Add', inputs: [before, tensor.name], outputs: [output] }, { after: node });
  }
  return { initializer: tensor.name, copied: false };
}
