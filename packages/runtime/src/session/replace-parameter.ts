import {
  createTensor,
  DataType,
  GraphEditor,
  type ModelIndex,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '@peftjs/onnx';
import { AdapterError, showShape } from '../errors.js';
import { typedValues } from './add-bias.js';

/**
 * A base parameter that is not the weight or bias of a MatMul, Gemm or Gather (a LayerNorm's bias trained with
 * `bias="all"`), found as the inputs of its module's own nodes. @internal
 */
export interface ParameterSlot {
  /** The parameter's name (`bert.encoder.layer.0.output.LayerNorm.bias`). */
  readonly name: string;
  /** The node inputs that read it: node name and input index. */
  readonly inputs: readonly { readonly node: string; readonly index: number }[];
  /** The initializer they read (through Identity nodes: exporters deduplicate equal parameters). */
  readonly tensor: TensorProto;
}

const NAME_SCOPES = 'pkg.torch.onnx.name_scopes';

/** Whether a scope (dotted module path of an export) names `module`, allowing an export wrapper's prefix or a task model's first segment missing. */
function sameModule(scope: string, module: string): boolean {
  return scope === module || scope.endsWith(`.${module}`) || module.endsWith(`.${scope}`);
}

/** The innermost module of a node: TorchScript's `/a/b.0/c/Op` name or dynamo's `name_scopes` metadata. */
function moduleOf(node: NodeProto): string | undefined {
  const scopes = node.metadataProps.find((p) => p.key === NAME_SCOPES)?.value;
  if (scopes !== undefined) {
    const list = [...scopes.matchAll(/'([^']*)'/g)].map((m) => m[1] as string);
    return list.length >= 2 ? list[list.length - 2] : undefined;
  }
  if (!node.name.startsWith('/')) return undefined;
  const parts = node.name.split('/').slice(1, -1);
  return parts.length > 0 ? parts.join('.') : undefined;
}

/** The initializer behind a value, through Identity nodes. */
function rootInitializer(index: ModelIndex, value: string): TensorProto | undefined {
  let name = value;
  for (let depth = 0; depth < 8; depth++) {
    const init = index.initializer(name);
    if (init !== undefined) return init.tensor;
    const producer = index.producer(name);
    if (producer?.node.opType !== 'Identity' || producer.node.input[0] === undefined) return undefined;
    name = producer.node.input[0];
  }
  return undefined;
}

/**
 * Finds a parameter as the input of its module's nodes whose value name ends with `.<leaf>` (`.bias`), e.g. the
 * `B` input of a `LayerNormalization` under `…/output/LayerNorm/`.
 *
 * @param index - the base model's index
 * @param name - the parameter's dotted name
 * @param shape - its shape (the initializer must have it)
 * @returns the slot, or undefined when it cannot be found unambiguously
 * @internal
 */
export function findParameter(
  index: ModelIndex,
  name: string,
  shape: readonly number[],
): ParameterSlot | undefined {
  const dot = name.lastIndexOf('.');
  const module = name.slice(0, dot);
  const leaf = name.slice(dot);
  const inputs: { node: string; index: number }[] = [];
  let tensor: TensorProto | undefined;
  for (const { node } of index.nodes()) {
    const scope = moduleOf(node);
    if (scope === undefined || !sameModule(scope, module)) continue;
    node.input.forEach((value, i) => {
      if (!value.endsWith(leaf)) return;
      const root = rootInitializer(index, value);
      if (root === undefined || (tensor !== undefined && root !== tensor)) return;
      tensor = root;
      inputs.push({ node: node.name, index: i });
    });
  }
  if (tensor === undefined || inputs.length === 0) return undefined;
  const isFloat = [DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16].includes(tensor.dataType as 1);
  if (!isFloat) return undefined;
  if (tensor.dims.length !== shape.length || tensor.dims.some((d, i) => d !== shape[i])) {
    throw new AdapterError(
      'SHAPE_MISMATCH',
      `${name}: the adapter's ${showShape(shape)} does not fit the ONNX parameter ${tensor.name} ` +
        `${showShape(tensor.dims)}; the adapter was trained on a different base model`,
      { module: name },
    );
  }
  return { name, inputs, tensor };
}

/**
 * Gives each slot a new initializer with `values` and points its module's node inputs at it (other readers of a
 * deduplicated parameter keep the original). Nodes are found by name in `model`, a fresh decode of the base.
 *
 * @param model - the model (changed)
 * @param replacements - slots and their float32 values
 * @internal
 */
export function replaceParameters(
  model: ModelProto,
  replacements: readonly { readonly slot: ParameterSlot; readonly values: Float32Array }[],
): void {
  if (replacements.length === 0) return;
  const editor = new GraphEditor(model);
  const byName = new Map(model.graph.node.filter((n) => n.name !== '').map((n) => [n.name, n]));
  for (const { slot, values } of replacements) {
    const { dataType, dims } = slot.tensor;
    const name = editor.uniqueName(slot.name);
    editor.addInitializer(createTensor(name, dataType, dims, typedValues(values, dataType)));
    for (const { node, index } of slot.inputs) {
      const target = byName.get(node);
      if (target === undefined) throw new AdapterError('BAD_ADAPTER', `${slot.name}: node ${node} is gone`);
      target.input[index] = name;
    }
    editor.refresh();
  }
}
