import { isOnnxError, OnnxError } from '../errors.js';
import { getIntAttribute } from '../graph/builders.js';
import { GraphEditor } from '../graph/graph-editor.js';
import type { ModelIndex } from '../graph/model-index.js';
import type { WeightKind, WeightLocation } from '../locate/types.js';
import { WeightLocator } from '../locate/weight-locator.js';
import { findBias } from '../locate/weight-uses.js';
import { dataTypeName } from '../model/data-type.js';
import { DataType, type ModelProto, type NodeProto } from '../model/types.js';
import { BranchGraph } from './branch-graph.js';
import { readBaseBias, readBaseWeight, removeUnusedSources } from './branch-sources.js';
import {
  type BranchPlan,
  emitIa3,
  emitLowRank,
  emitReplace,
  gemmAttributes,
  type UsePlan,
  type UseState,
} from './emit-branches.js';
import type {
  AdapterBranch,
  AdapterBranchInputs,
  AdapterBranchTarget,
  InjectAdapterBranchesOptions,
  InjectedAdapterBranches,
} from './types.js';

/** Types an adapter branch can compute next to (branches compute in float32 and cast back). */
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16]);

function invalid(message: string, value: unknown): OnnxError {
  return new OnnxError('INVALID_ARGUMENT', message, { value });
}

/** Which branches of one module may coexist: one low-rank, one IA³ per side, one replace. */
function slotKey(t: AdapterBranchTarget): string {
  if (t.kind === 'ia3') return `${t.module}\u0000ia3:${t.feedforward === true}`;
  return `${t.module}\u0000${t.kind === 'replace' ? 'replace' : 'low-rank'}`;
}

function checkTargets(targets: readonly AdapterBranchTarget[]): void {
  const seen = new Set<string>();
  for (const t of targets) {
    const key = slotKey(t);
    if (seen.has(key)) throw invalid(`Module "${t.module}" is listed twice as a ${t.kind} target.`, t);
    seen.add(key);
    if (t.dora && t.kind !== 'lora' && t.kind !== 'lora-embedding') {
      throw invalid(
        `Target "${t.module}": dora applies to lora and lora-embedding branches, not ${t.kind}.`,
        t,
      );
    }
    if (t.loraBias && t.kind !== 'lora') {
      throw invalid(`Target "${t.module}": loraBias applies to lora branches, not ${t.kind}.`, t);
    }
    if (t.kind === 'replace' && !t.weight && !t.bias) {
      throw invalid(`Replace target "${t.module}" feeds neither the weight nor the bias.`, t);
    }
  }
}

function locateKind(t: AdapterBranchTarget): WeightKind | undefined {
  if (t.kind === 'replace') return t.moduleKind;
  return t.kind === 'lora-embedding' ? 'embedding' : 'linear';
}

async function locateTargets(
  locator: WeightLocator,
  targets: readonly AdapterBranchTarget[],
): Promise<WeightLocation[]> {
  const kinds = targets.map(locateKind);
  const known = targets.flatMap((t, i) => {
    const kind = kinds[i];
    return kind === undefined ? [] : [{ module: t.module, kind }];
  });
  const located = await locator.locateAll(known);
  let next = 0;
  const out: WeightLocation[] = [];
  for (const [i, t] of targets.entries()) {
    if (kinds[i] !== undefined) out.push(located[next++] as WeightLocation);
    else out.push(await locateUntyped(locator, t.module));
  }
  return out;
}

/** A replaced module without a kind: as it is, or as a linear layer when a tied weight makes it ambiguous. */
async function locateUntyped(locator: WeightLocator, module: string): Promise<WeightLocation> {
  try {
    return await locator.locate(module);
  } catch (error) {
    if (isOnnxError(error) && error.code === 'AMBIGUOUS_TARGET') {
      return locator.locate(module, { kind: 'linear' });
    }
    throw error;
  }
}

/** The type a node computes in: the weight's type, changed by Casts on the way. */
function computeType(location: WeightLocation, path: readonly NodeProto[]): number {
  let type = location.dataType;
  for (const node of path) if (node.opType === 'Cast') type = getIntAttribute(node, 'to', type);
  return type;
}

function checkUse(t: AdapterBranchTarget, use: UsePlan): void {
  const where = `Module "${t.module}" (${use.use.op} node "${use.use.node.name}")`;
  const gather = use.use.op === 'Gather';
  if ((t.kind === 'lora-embedding') !== gather && t.kind !== 'replace') {
    throw invalid(`${where} cannot take a ${t.kind} branch: it is read by ${use.use.op}.`, t.kind);
  }
  if (!FLOAT_TYPES.has(use.computeType)) {
    throw new OnnxError(
      'UNSUPPORTED_DATA_TYPE',
      `${where} computes in ${dataTypeName(use.computeType)}; adapter branches need FLOAT, FLOAT16 or BFLOAT16.`,
      { value: use.computeType },
    );
  }
  if (use.use.op === 'Gemm') {
    const { transA, alpha, beta } = gemmAttributes(use.use.node);
    if (transA !== 0) throw invalid(`${where}: Gemm with transA=1 is not supported.`, transA);
    if (alpha !== 1 && (t.dora || t.kind === 'replace')) {
      throw invalid(`${where}: Gemm alpha=${alpha} scales the weight; DoRA and replace need alpha=1.`, alpha);
    }
    if (beta !== 1 && t.dora && (use.use.node.input[2] ?? '') !== '') {
      throw invalid(
        `${where}: Gemm beta=${beta}; DoRA needs beta=1 to keep the bias out of its factor.`,
        beta,
      );
    }
  }
  if (t.kind === 'replace' && t.bias && gather) {
    throw invalid(`${where}: an embedding has no bias to replace.`, t);
  }
}

function planTargets(
  index: ModelIndex,
  targets: readonly AdapterBranchTarget[],
  locations: readonly WeightLocation[],
): BranchPlan[] {
  return targets.map((target, i) => {
    const location = locations[i] as WeightLocation;
    const uses = location.uses.map((use): UsePlan => {
      const bias = findBias(index, use, location.outFeatures);
      const graph = index.scopeOf(use.node)?.graph ?? index.scopes[0]?.graph;
      const plan = { use, graph, computeType: computeType(location, use.path), ...(bias ? { bias } : {}) };
      checkUse(target, plan as UsePlan);
      return plan as UsePlan;
    });
    return { index: i, target, location, uses };
  });
}

/**
 * Rewrites a model once so that every target gets an adapter branch whose values are required graph inputs: the
 * same rewritten model then runs any adapter with these targets, several summed, none, or one per batch row —
 * only the feeds change (build them with `@peftjs/runtime`'s `buildAdapterFeeds`).
 *
 * Each low-rank branch reads `lora.<i>.A` `[in, slots, R]` and `lora.<i>.B` `[slots, R, out]` (plus `lora.<i>.g`
 * for DoRA and `lora.<i>.bias` for lora_bias, `[slots, out]`); each IA³ branch `ia3.<i>` `[slots, dim]`; replaced
 * modules `replace.<i>.weight` / `replace.<i>.bias`. One int64 input `adapter_index` `[batch]` picks each row's slot.
 * Branches compute in float32 (casting FLOAT16/BFLOAT16 values, as PEFT does), after the bias for LoRA and IA³
 * and before it for DoRA's factor (`y = g ⊙ (x·W) + Δ + b`). The rewritten graph holds no adapter values.
 * With `rows: 'uniform'` the branches serve one adapter set for the whole batch and are minimal: no slot dimension
 * (`A` `[in, R]`, `B` `[R, out]`, `g`/`bias` `[out]`, `ia3` `[dim]`), no `adapter_index`, no masks — a LoRA branch
 * is `Y += (X·A)·B`.
 *
 * @param model - the model; changed in place (decode a copy to keep the original)
 * @param targets - the modules and the branch each gets
 * @param options - `source` for external tensors, `baseWeight` for locating anonymous weights, `rows` for the
 *   variant (`'per-row'` by default)
 * @returns the model, one branch description per target, the variant, and the adapter index input (per-row)
 * @throws {OnnxError} `TARGET_NOT_FOUND`, `AMBIGUOUS_TARGET` (from locating), `INVALID_ARGUMENT` (duplicate or
 *   mismatched targets, Gemm `transA`), `UNSUPPORTED_DATA_TYPE`; the model is unchanged when anything throws
 * @example
 * ```ts
 * const { branches, adapterIndexInput } = await injectAdapterBranches(model, [
 *   { module: 'model.layers.0.self_attn.q_proj', kind: 'lora' },
 * ]);
 * console.log(branches[0].inputs); // { A: 'lora.0.A', B: 'lora.0.B' }
 * ```
 */
export async function injectAdapterBranches(
  model: ModelProto,
  targets: readonly AdapterBranchTarget[],
  options: InjectAdapterBranchesOptions = {},
): Promise<InjectedAdapterBranches> {
  checkTargets(targets);
  const locations = await locateTargets(new WeightLocator(model, options), targets);
  const editor = new GraphEditor(model);
  const plans = planTargets(editor.index, targets, locations);
  const rows = options.rows ?? 'per-row';
  const g = new BranchGraph(model, editor.index, rows === 'per-row');
  const states = new Map<NodeProto, UseState>();
  const inputs = new Map<number, AdapterBranchInputs>();
  const types = new Map<number, { weight: number; bias: number }>();
  // replacements first: they only rename operator inputs, which later branches keep
  for (const plan of plans.filter((p) => p.target.kind === 'replace')) {
    const first = plan.uses[0] as UsePlan;
    const biasType = first.bias ? computeBiasType(first) : first.computeType;
    types.set(plan.index, { weight: first.computeType, bias: biasType });
    inputs.set(plan.index, emitReplace(g, plan, { weight: first.computeType, bias: biasType }, states));
  }
  for (const plan of plans) {
    if (plan.target.kind === 'ia3') inputs.set(plan.index, emitIa3(g, plan, states));
    else if (plan.target.kind !== 'replace') inputs.set(plan.index, emitLowRank(g, plan, states));
  }
  editor.refresh();
  removeUnusedSources(
    editor,
    plans.filter((p) => p.target.kind === 'replace'),
  );
  editor.sortTopologically();
  const branches = plans.map((plan) =>
    describe(plan, inputs.get(plan.index) ?? {}, types.get(plan.index), options),
  );
  return { model, branches, rows, adapterIndexInput: g.adapterIndex };
}

function computeBiasType(use: UsePlan): number {
  const bias = use.bias;
  if (!bias) return use.computeType;
  let type = bias.tensor.dataType;
  for (const node of bias.path) if (node.opType === 'Cast') type = getIntAttribute(node, 'to', type);
  return type;
}

function describe(
  plan: BranchPlan,
  inputs: AdapterBranchInputs,
  types: { weight: number; bias: number } | undefined,
  options: InjectAdapterBranchesOptions,
): AdapterBranch {
  const { target, location } = plan;
  const first = plan.uses[0] as UsePlan;
  let weight: ReturnType<typeof readBaseWeight> | undefined;
  let bias: ReturnType<typeof readBaseBias> | undefined;
  return {
    index: plan.index,
    module: target.module,
    kind: target.kind,
    dora: target.dora === true,
    loraBias: target.loraBias === true,
    feedforward: target.feedforward === true,
    inputs,
    inFeatures: location.inFeatures,
    outFeatures: location.outFeatures,
    location,
    ...(types && target.weight ? { weightLayout: location.layout, weightType: types.weight } : {}),
    ...(types && target.bias ? { biasType: types.bias } : {}),
    readBaseWeight() {
      weight ??= readBaseWeight(location, first.use, options.source);
      return weight;
    },
    readBaseBias() {
      bias ??= readBaseBias(first.bias, options.source);
      return bias;
    },
  };
}
