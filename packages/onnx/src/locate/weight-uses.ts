import { getAttribute, getIntAttribute } from '../graph/builders.js';
import type { ModelIndex, ValueUse } from '../graph/model-index.js';
import type { NodeProto, TensorProto } from '../model/types.js';
import type { BiasLocation, WeightLayout, WeightUse } from './types.js';

/** Ops that pass a weight through unchanged in layout. */
const PASS_THROUGH = new Set(['Identity', 'Cast']);

/** A tensor that can hold a weight: an initializer, or a Constant node's value. @internal */
export interface WeightSource {
  readonly name: string;
  readonly tensor: TensorProto;
  readonly constant?: NodeProto;
}

/** Uses of a weight: operator inputs that read it as a weight, and every other use (`foreign`). @internal */
export interface TensorUses {
  readonly terminals: WeightUse[];
  readonly foreign: ValueUse[];
}

function flip(layout: WeightLayout): WeightLayout {
  return layout === 'in_out' ? 'out_in' : 'in_out';
}

/** Whether a Transpose node swaps the two axes of a 2-D tensor. */
function isTranspose2d(node: NodeProto): boolean {
  if (node.opType !== 'Transpose' || node.domain !== '') return false;
  const perm = getAttribute(node, 'perm')?.ints;
  return perm === undefined || perm.length === 0 || (perm.length === 2 && perm[0] === 1n && perm[1] === 0n);
}

/**
 * The weight tensor behind a value: an initializer or Constant, reached through Identity, Cast and 2-D
 * Transpose nodes. @internal
 */
export function resolveSource(index: ModelIndex, value: string): WeightSource | undefined {
  let name = value;
  for (let hops = 0; hops < 16; hops++) {
    const init = index.initializer(name);
    if (init) return { name, tensor: init.tensor };
    const producer = index.producer(name);
    if (!producer) return undefined;
    const { node } = producer;
    if (node.opType === 'Constant' && node.domain === '') {
      const t = getAttribute(node, 'value')?.t;
      return t ? { name, tensor: t, constant: node } : undefined;
    }
    if (!(PASS_THROUGH.has(node.opType) || isTranspose2d(node)) || node.input[0] === undefined)
      return undefined;
    name = node.input[0];
  }
  return undefined;
}

/** The layout a node expects at a weight input, or undefined when the input is not a weight operand. */
function terminalLayout(
  node: NodeProto,
  index: number,
): { op: WeightUse['op']; layout: WeightLayout } | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  if (node.opType === 'MatMul' && index === 1) return { op: 'MatMul', layout: 'in_out' };
  if (node.opType === 'Gemm' && index === 1) {
    return { op: 'Gemm', layout: getIntAttribute(node, 'transB', 0) === 1 ? 'out_in' : 'in_out' };
  }
  if (node.opType === 'Gather' && index === 0 && getIntAttribute(node, 'axis', 0) === 0) {
    return { op: 'Gather', layout: 'in_out' };
  }
  return undefined;
}

/**
 * Follows a weight forward to the operators that read it (through Identity, Cast and 2-D Transpose nodes).
 * Any other use — a graph output, another operator, a Gather of a transposed table — is `foreign`. @internal
 */
export function tensorUses(index: ModelIndex, name: string): TensorUses {
  const terminals: WeightUse[] = [];
  const foreign: ValueUse[] = [];
  const visit = (value: string, transposed: boolean, path: NodeProto[]): void => {
    for (const use of index.uses(value)) {
      const { node } = use;
      if (!node) {
        foreign.push(use);
        continue;
      }
      const out = node.output[0];
      if (
        (PASS_THROUGH.has(node.opType) || isTranspose2d(node)) &&
        use.index === 0 &&
        out &&
        path.length < 16
      ) {
        visit(out, transposed !== isTranspose2d(node), [...path, node]);
        continue;
      }
      const t = terminalLayout(node, use.index);
      if (!t || (t.op === 'Gather' && transposed)) {
        foreign.push(use);
        continue;
      }
      // the node sees the tensor transposed when an odd number of Transposes lie on the path
      const layout = transposed ? flip(t.layout) : t.layout;
      terminals.push({ node, inputIndex: use.index, op: t.op, layout, path });
    }
  };
  visit(name, false, []);
  return { terminals, foreign };
}

/** A 1-D bias tensor (or `[1, n]`) with `n` elements behind a value, through Identity/Cast nodes. */
function resolveBias(
  index: ModelIndex,
  value: string,
  size: number,
): { source: WeightSource; path: NodeProto[] } | undefined {
  const path: NodeProto[] = [];
  let name = value;
  for (let hops = 0; hops < 16; hops++) {
    const init = index.initializer(name);
    const tensor = init?.tensor;
    if (tensor) {
      const dims = tensor.dims;
      const ok =
        (dims.length === 1 && dims[0] === size) || (dims.length === 2 && dims[0] === 1 && dims[1] === size);
      return ok ? { source: { name, tensor }, path: path.reverse() } : undefined;
    }
    const producer = index.producer(name);
    if (!producer || !PASS_THROUGH.has(producer.node.opType) || producer.node.input[0] === undefined)
      return undefined;
    path.push(producer.node);
    name = producer.node.input[0];
  }
  return undefined;
}

/**
 * The bias added right after a weight's operator: Gemm's C input, or the other input of the one Add that
 * reads the MatMul/Gemm output. @internal
 */
export function findBias(index: ModelIndex, use: WeightUse, outFeatures: number): BiasLocation | undefined {
  const { node } = use;
  if (use.op === 'Gather') return undefined;
  if (use.op === 'Gemm' && node.input[2]) {
    const found = resolveBias(index, node.input[2], outFeatures);
    return (
      found && {
        initializer: found.source.name,
        tensor: found.source.tensor,
        node,
        inputIndex: 2,
        path: found.path,
      }
    );
  }
  const out = node.output[0];
  const uses = out ? index.uses(out) : [];
  const add = uses[0]?.node;
  if (uses.length !== 1 || !add || add.opType !== 'Add' || add.input.length !== 2) return undefined;
  const other = 1 - (uses[0] as ValueUse).index;
  const found = resolveBias(index, add.input[other] as string, outFeatures);
  return (
    found && {
      initializer: found.source.name,
      tensor: found.source.tensor,
      node: add,
      inputIndex: other,
      path: found.path,
    }
  );
}
