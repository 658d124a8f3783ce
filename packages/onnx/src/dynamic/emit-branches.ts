import { getAttribute, getIntAttribute } from '../graph/builders.js';
import type { BiasLocation, WeightLocation, WeightUse } from '../locate/types.js';
import { DataType, type GraphProto, type NodeProto } from '../model/types.js';
import type { BranchGraph } from './branch-graph.js';
import type { AdapterBranchInputs, AdapterBranchTarget } from './types.js';

/** One operator use of a targeted module, with what the rewrite needs to know about it. @internal */
export interface UsePlan {
  readonly use: WeightUse;
  /** The graph holding the use's node. */
  readonly graph: GraphProto;
  /** The element type the operator computes in (the weight's type after Casts on the way). */
  readonly computeType: number;
  /** The bias next to this use (Gemm's C or the Add after it). */
  readonly bias?: BiasLocation;
}

/** A target with its location and uses, checked. @internal */
export interface BranchPlan {
  readonly index: number;
  readonly target: AdapterBranchTarget;
  readonly location: WeightLocation;
  readonly uses: readonly UsePlan[];
}

/**
 * Where a use's output can be intercepted, kept across the branches of one module: the value before the bias
 * (DoRA scales it; undefined for a Gemm holding its bias in C) and after it (LoRA adds to it, IA³ scales it),
 * and the node producing each. @internal
 */
export interface UseState {
  readonly pre: string | undefined;
  readonly post: string;
  readonly producers: Map<string, NodeProto>;
}

/** The initial state of a use. */
function useState(plan: UsePlan): UseState {
  const { node } = plan.use;
  const out = node.output[0] as string;
  const producers = new Map<string, NodeProto>([[out, node]]);
  const add = plan.bias && plan.bias.node !== node ? plan.bias.node : undefined;
  if (add) producers.set(add.output[0] as string, add);
  const gemmC = node.opType === 'Gemm' && (node.input[2] ?? '') !== '';
  return { pre: gemmC ? undefined : out, post: add ? (add.output[0] as string) : out, producers };
}

/** Makes the producer of `point` write a fresh value instead, and returns that value. */
function intercept(g: BranchGraph, state: UseState, point: string, label: string): string {
  const producer = state.producers.get(point) as NodeProto;
  const fresh = g.fresh(`${label}/base`);
  producer.output[producer.output.indexOf(point)] = fresh;
  state.producers.set(fresh, producer);
  return fresh;
}

/**
 * Replaces `point` by `f(point)`. Adapter terms are computed in float32 (PEFT up-casts the input to its float32
 * adapter weights) and cast to the operator's type where they meet its values, so the base path keeps its types
 * and an identity term (Δ = 0, factor 1) leaves it bit for bit.
 */
function rewriteOutput(
  g: BranchGraph,
  plan: UsePlan,
  state: UseState,
  point: string,
  label: string,
  f: (value: string) => { op: string; inputs: string[] },
): void {
  const { op, inputs } = f(intercept(g, state, point, label));
  g.op(plan.graph, op, inputs, { output: point, label });
  state.producers.set(point, plan.graph.node.at(-1) as NodeProto);
}

/** A value of the operator's type as float32. */
function toFloat(g: BranchGraph, plan: UsePlan, value: string, label: string): string {
  return plan.computeType === DataType.FLOAT ? value : g.cast(plan.graph, value, DataType.FLOAT, label);
}

/** A float32 value in the operator's type. */
function toCompute(g: BranchGraph, plan: UsePlan, value: string, label: string): string {
  return plan.computeType === DataType.FLOAT ? value : g.cast(plan.graph, value, plan.computeType, label);
}

/**
 * Whether a use takes its low-rank term as one more Gemm, `y ← Gemm(low, B, C = y)`: a Gemm reads and writes 2-D
 * values, so its output — and the bias Add or IA³ Mul after it — is `[rows, out]`, a valid C. That is one node
 * for the up-projection and the sum (instead of MatMul + Add), as the same float32 sum `y + low·B`. Not for
 * DoRA (its factor scales y first), lora_bias (an extra term) or operators computing in FLOAT16/BFLOAT16 (C
 * would need a Cast).
 */
function addsByGemm(use: UsePlan, target: AdapterBranchTarget): boolean {
  return (
    use.use.node.opType === 'Gemm' && !target.dora && !target.loraBias && use.computeType === DataType.FLOAT
  );
}

/**
 * Adds a low-rank branch (LoRA, DoRA, lora_bias; linear or embedding):
 * `y ← g ⊙ y_pre + ((x·A₂) masked to the row's slot)·B₂ (+ bias_slot)`, with `A₂ = A` reshaped `[in, slots·R]`
 * and `B₂ = B` reshaped `[slots·R, out]`. @internal
 */
export function emitLowRank(
  g: BranchGraph,
  plan: BranchPlan,
  states: Map<NodeProto, UseState>,
): AdapterBranchInputs {
  if (!g.perRow) return emitLowRankUniform(g, plan, states);
  const { index: i, target, location } = plan;
  const label = `lora.${i}`;
  const rank = `lora.${i}.rank`;
  const { inFeatures: inF, outFeatures: outF } = location;
  const A = g.input(`lora.${i}.A`, DataType.FLOAT, [inF, 'adapter_slots', rank]);
  const B = g.input(`lora.${i}.B`, DataType.FLOAT, ['adapter_slots', rank, outF]);
  const gIn = target.dora ? g.input(`lora.${i}.g`, DataType.FLOAT, ['adapter_slots', outF]) : undefined;
  const bias = target.loraBias
    ? g.input(`lora.${i}.bias`, DataType.FLOAT, ['adapter_slots', outF])
    : undefined;
  const top = (op: string, inputs: string[], attrs = {}) => g.op(g.top, op, inputs, { label, ...attrs });
  // slot of every column of A₂: [0]*R ++ [1]*R ++ … (slots × R)
  const shape = top('Shape', [A]);
  const slotsByRank = top('Slice', [shape, g.int64([1]), g.int64([3])]);
  const slots = top('Gather', [shape, g.int64([1], true)]);
  const range = top('Range', [g.int64([0], true), slots, g.int64([1], true)]);
  const grid = top('Expand', [top('Reshape', [range, g.int64([-1, 1])]), slotsByRank]);
  const columnSlot = top('Reshape', [grid, g.int64([-1])]);
  const a2 = top('Reshape', [A, g.int64([0, -1])]);
  const b2 = top('Reshape', [B, g.int64([-1, outF])]);
  for (const use of plan.uses) {
    const { node } = use.use;
    const state = states.get(node) ?? useState(use);
    states.set(node, state);
    const op = (type: string, inputs: string[]) => g.op(use.graph, type, inputs, { label });
    const embedding = use.use.op === 'Gather';
    const rowsOf = (embedding ? node.input[1] : node.input[0]) as string;
    const rows = g.rowIndex(use.graph, rowsOf, embedding ? 1 : 0);
    const low = embedding ? op('Gather', [a2, rowsOf]) : op('MatMul', [toFloat(g, use, rowsOf, label), a2]);
    const masked = op('Where', [op('Equal', [rows.mask, columnSlot]), low, g.float(0)]);
    if (addsByGemm(use, target)) {
      rewriteOutput(g, use, state, state.post, label, (y) => ({ op: 'Gemm', inputs: [masked, b2, y] }));
      continue;
    }
    let delta = op('MatMul', [masked, b2]);
    if (bias) delta = op('Add', [delta, op('Gather', [bias, rows.vector])]);
    // DoRA scales x·W, not the bias: before the bias Add, or, for a Gemm holding C, y·g + C·(1 − g) — either
    // way g = 1 leaves the base output bit for bit
    const gemmC = state.pre === undefined ? node.input[2] : undefined;
    const point = gIn ? (state.pre ?? state.post) : state.post;
    const typed = (value: string) => toCompute(g, use, value, label);
    rewriteOutput(g, use, state, point, label, (y) => {
      if (!gIn) return { op: 'Add', inputs: [y, typed(delta)] };
      const factor = op('Gather', [gIn, rows.vector]);
      let scaled = op('Mul', [y, typed(factor)]);
      if (gemmC !== undefined)
        scaled = op('Add', [scaled, op('Mul', [gemmC, typed(op('Sub', [g.float(1), factor]))])]);
      return { op: 'Add', inputs: [scaled, typed(delta)] };
    });
  }
  return { A, B, ...(gIn ? { g: gIn } : {}), ...(bias ? { bias } : {}) };
}

/**
 * The uniform variant of {@link emitLowRank}: one adapter set for every row, so
 * `y ← g ⊙ y_pre + (x·A)·B (+ bias)` with `A` `[in, R]`, `B` `[R, out]`, `g` and `bias` `[out]` (embeddings:
 * `Gather(A, ids)·B`). MatMul broadcasts over leading dimensions, so no reshapes are needed; on a Gemm the branch
 * is two nodes, `Gemm(x·A, B, y)`. @internal
 */
function emitLowRankUniform(
  g: BranchGraph,
  plan: BranchPlan,
  states: Map<NodeProto, UseState>,
): AdapterBranchInputs {
  const { index: i, target, location } = plan;
  const label = `lora.${i}`;
  const rank = `lora.${i}.rank`;
  const { inFeatures: inF, outFeatures: outF } = location;
  const A = g.input(`lora.${i}.A`, DataType.FLOAT, [inF, rank]);
  const B = g.input(`lora.${i}.B`, DataType.FLOAT, [rank, outF]);
  const gIn = target.dora ? g.input(`lora.${i}.g`, DataType.FLOAT, [outF]) : undefined;
  const bias = target.loraBias ? g.input(`lora.${i}.bias`, DataType.FLOAT, [outF]) : undefined;
  for (const use of plan.uses) {
    const { node } = use.use;
    const state = states.get(node) ?? useState(use);
    states.set(node, state);
    const op = (type: string, inputs: string[]) => g.op(use.graph, type, inputs, { label });
    const embedding = use.use.op === 'Gather';
    const rowsOf = (embedding ? node.input[1] : node.input[0]) as string;
    const low = embedding ? op('Gather', [A, rowsOf]) : op('MatMul', [toFloat(g, use, rowsOf, label), A]);
    if (addsByGemm(use, target)) {
      rewriteOutput(g, use, state, state.post, label, (y) => ({ op: 'Gemm', inputs: [low, B, y] }));
      continue;
    }
    let delta = op('MatMul', [low, B]);
    if (bias) delta = op('Add', [delta, bias]);
    const gemmC = state.pre === undefined ? node.input[2] : undefined;
    const point = gIn ? (state.pre ?? state.post) : state.post;
    const typed = (value: string) => toCompute(g, use, value, label);
    rewriteOutput(g, use, state, point, label, (y) => {
      if (!gIn) return { op: 'Add', inputs: [y, typed(delta)] };
      let scaled = op('Mul', [y, typed(gIn)]);
      if (gemmC !== undefined)
        scaled = op('Add', [scaled, op('Mul', [gemmC, typed(op('Sub', [g.float(1), gIn]))])]);
      return { op: 'Add', inputs: [scaled, typed(delta)] };
    });
  }
  return { A, B, ...(gIn ? { g: gIn } : {}), ...(bias ? { bias } : {}) };
}

/** Adds an IA³ branch: the row's vector scales the input (feed-forward) or the output (after the bias). @internal */
export function emitIa3(
  g: BranchGraph,
  plan: BranchPlan,
  states: Map<NodeProto, UseState>,
): AdapterBranchInputs {
  const { index: i, target, location } = plan;
  const label = `ia3.${i}`;
  const dim = target.feedforward ? location.inFeatures : location.outFeatures;
  const ia3 = g.input(`ia3.${i}`, DataType.FLOAT, g.perRow ? ['adapter_slots', dim] : [dim]);
  for (const use of plan.uses) {
    const { node } = use.use;
    const state = states.get(node) ?? useState(use);
    states.set(node, state);
    const x = node.input[0] as string;
    const perRow = () => g.op(use.graph, 'Gather', [ia3, g.rowIndex(use.graph, x, 0).vector], { label });
    const scale = toCompute(g, use, g.perRow ? perRow() : ia3, label);
    if (target.feedforward) node.input[0] = g.op(use.graph, 'Mul', [x, scale], { label });
    else rewriteOutput(g, use, state, state.post, label, (y) => ({ op: 'Mul', inputs: [y, scale] }));
  }
  return { ia3 };
}

/** Makes the module's operators read its weight and/or bias from inputs (`modules_to_save`). @internal */
export function emitReplace(
  g: BranchGraph,
  plan: BranchPlan,
  types: { weight: number; bias: number },
  states: Map<NodeProto, UseState>,
): AdapterBranchInputs {
  const { index: i, target, location } = plan;
  const first = plan.uses[0] as UsePlan;
  const dims =
    first.use.node.opType === 'Gemm' && location.layout === 'out_in'
      ? [location.outFeatures, location.inFeatures]
      : [location.inFeatures, location.outFeatures];
  const weight = target.weight ? g.input(`replace.${i}.weight`, types.weight, dims) : undefined;
  const bias = target.bias ? g.input(`replace.${i}.bias`, types.bias, [location.outFeatures]) : undefined;
  for (const use of plan.uses) {
    const { node } = use.use;
    if (weight) node.input[use.use.inputIndex] = weight;
    if (!bias) continue;
    if (use.bias) use.bias.node.input[use.bias.inputIndex] = bias;
    // the export dropped the bias (it was zero): the fed one goes where it would have been
    else if (node.opType === 'Gemm') node.input[2] = bias;
    else {
      const state = states.get(node) ?? useState(use);
      const out = state.post;
      const pre = intercept(g, state, out, `replace.${i}`);
      g.op(use.graph, 'Add', [pre, bias], { output: out, label: `replace.${i}` });
      state.producers.set(out, use.graph.node.at(-1) as NodeProto);
      states.set(node, { pre, post: out, producers: state.producers });
    }
  }
  return { ...(weight ? { weight } : {}), ...(bias ? { bias } : {}) };
}

/** Gemm's `transA`, `alpha` and `beta`. @internal */
export function gemmAttributes(node: NodeProto): { transA: number; alpha: number; beta: number } {
  const float = (name: string) => getAttribute(node, name)?.f ?? 1;
  return { transA: getIntAttribute(node, 'transA', 0), alpha: float('alpha'), beta: float('beta') };
}
