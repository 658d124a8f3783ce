import type { AdapterBranch, InjectedAdapterBranches } from '@peftjs/onnx';
import type { Adapter } from '../adapter.js';
import type { AdapterLayer, AdapterReplacement, Ia3Layer, LoraLayer } from '../adapter-layer.js';
import { AdapterError, showShape } from '../errors.js';
import { type AdapterFeed, ia3Feed, lowRankFeeds, replacementWeight, typedFeed } from './assemble-feeds.js';
import { branchKey, layerKey, splitParameter } from './dynamic-targets.js';
import { modulesToSave, preparedIa3, preparedLowRank } from './prepare-layer.js';

/**
 * Which adapters a run uses: the same active set for every row (`adapters`: PEFT's `set_adapter([...])`, summed;
 * `[]` is `disable_adapter()`), or one set per batch row (`perRow`: PEFT's `adapter_names=[...]`, `null` or `[]`
 * for `"__base__"`).
 */
export type AdapterSelection =
  | { readonly adapters: readonly Adapter[] }
  | { readonly perRow: readonly (readonly Adapter[] | null)[] };

/** The feeds of one run, by input name. */
export type AdapterFeeds = Record<string, AdapterFeed>;

/** What {@link buildAdapterFeeds} needs from `injectAdapterBranches`' result. */
export type DynamicModelInputs = Pick<InjectedAdapterBranches, 'branches' | 'adapterIndexInput'>;

/** The distinct adapter sets of a selection (slots) and each row's slot. */
function slotsOf(selection: AdapterSelection, batchSize: number): { slots: Adapter[][]; rows: number[] } {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new AdapterError('INVALID_ARGUMENT', `batchSize must be a positive integer; got ${batchSize}`);
  }
  if ('adapters' in selection)
    return { slots: [[...selection.adapters]], rows: new Array(batchSize).fill(0) };
  if (selection.perRow.length !== batchSize) {
    throw new AdapterError(
      'INVALID_ARGUMENT',
      `perRow names ${selection.perRow.length} rows; the batch has ${batchSize}`,
    );
  }
  const slots: Adapter[][] = [];
  const rows = selection.perRow.map((set) => {
    const list = set ?? [];
    const at = slots.findIndex((s) => s.length === list.length && s.every((a, i) => a === list[i]));
    if (at >= 0) return at;
    slots.push([...list]);
    return slots.length - 1;
  });
  return { slots, rows };
}

function checkLayer(layer: AdapterLayer, branch: AdapterBranch | undefined): AdapterBranch {
  const { module } = layer;
  if (!branch) {
    throw new AdapterError(
      'TARGET_NOT_FOUND',
      `${module}: the rewritten model has no ${layer.kind} branch for this adapter's layer; rewrite the model with ` +
        'dynamicTargets() of every adapter it serves',
      { module },
    );
  }
  const fits =
    layer.kind === 'ia3'
      ? layer.size === (layer.isFeedforward ? branch.inFeatures : branch.outFeatures)
      : layer.inFeatures === branch.inFeatures && layer.outFeatures === branch.outFeatures;
  if (!fits) {
    throw new AdapterError(
      'SHAPE_MISMATCH',
      `${module}: the adapter's layer does not fit the branch (${branch.inFeatures}→${branch.outFeatures}); the ` +
        'adapter was trained on a different base model',
      { module },
    );
  }
  if (layer.kind !== 'ia3' && ((layer.magnitude && !branch.dora) || (layer.loraBias && !branch.loraBias))) {
    throw new AdapterError(
      'TARGET_NOT_FOUND',
      `${module}: the adapter has ${layer.magnitude ? 'DoRA magnitudes' : 'lora_B.bias'}, but its branch was ` +
        'rewritten without that input; rewrite the model with dynamicTargets() of every adapter it serves',
      { module },
    );
  }
  return branch;
}

/** Each branch's layers per slot, checked against the branches. */
function layersBySlot(
  branches: readonly AdapterBranch[],
  slots: readonly Adapter[][],
): Map<AdapterBranch, AdapterLayer[][]> {
  const byKey = new Map(branches.map((b) => [branchKey(b), b]));
  const out = new Map<AdapterBranch, AdapterLayer[][]>(branches.map((b) => [b, slots.map(() => [])]));
  slots.forEach((adapters, j) => {
    const replaced = new Set<string>();
    for (const adapter of adapters) {
      for (const layer of adapter.layers) {
        const branch = checkLayer(layer, byKey.get(layerKey(layer)));
        (out.get(branch) as AdapterLayer[][])[j]?.push(layer);
      }
      for (const r of adapter.replacements) {
        if (r.reason !== 'modules_to_save') continue;
        checkReplacement(r, byKey, replaced);
      }
    }
  });
  return out;
}

function checkReplacement(r: AdapterReplacement, byKey: Map<string, AdapterBranch>, seen: Set<string>): void {
  const { module, param } = splitParameter(r.name);
  const branch = byKey.get(`${module}\u0000replace`);
  if (
    !branch ||
    !(param === 'weight' ? branch.inputs.weight : param === 'bias' ? branch.inputs.bias : undefined)
  ) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `${r.name}: this modules_to_save parameter is not an input of the rewritten model; rewrite the model with ` +
        "dynamicTargets() of every adapter it serves, or use mode 'merged'",
      { module },
    );
  }
  if (seen.has(r.name)) {
    throw new AdapterError(
      'INCOMPATIBLE_ADAPTERS',
      `${module}: two active adapters have a modules_to_save copy of it; PEFT activates one copy per module`,
      { module },
    );
  }
  seen.add(r.name);
}

/** The one value every slot uses for a replaced parameter (PEFT runs one modules_to_save copy per row group). */
function replacementOf(branch: AdapterBranch, slots: readonly Adapter[][], param: 'weight' | 'bias') {
  const name = `${branch.module}.${param}`;
  const choices = slots.map((adapters) => {
    for (const adapter of adapters) {
      const r = modulesToSave(adapter, name);
      if (r) return { adapter, r };
    }
    return undefined;
  });
  const first = choices[0];
  if (choices.some((c) => c?.r !== first?.r)) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `${name}: rows of the batch use different modules_to_save copies; dynamic mode feeds one per run ` +
        "(run the rows separately, or use mode 'merged')",
      { module: branch.module },
    );
  }
  return first;
}

async function replaceFeeds(branch: AdapterBranch, slots: readonly Adapter[][]): Promise<AdapterFeeds> {
  const feeds: AdapterFeeds = {};
  const { inputs, inFeatures: inF, outFeatures: outF } = branch;
  if (inputs.weight) {
    const chosen = replacementOf(branch, slots, 'weight');
    const values = chosen
      ? await replacementWeight(branch, chosen.r, chosen.adapter.config.fan_in_fan_out === true)
      : (await branch.readBaseWeight()).data;
    const dims = branch.weightLayout === 'out_in' ? [outF, inF] : [inF, outF];
    feeds[inputs.weight] = typedFeed(values, branch.weightType ?? 0, dims, `${branch.module}.weight`);
  }
  if (inputs.bias) {
    const chosen = replacementOf(branch, slots, 'bias');
    // a bias the export dropped was zero
    const values = chosen
      ? await chosen.r.tensor.float32()
      : ((await branch.readBaseBias()) ?? new Float32Array(outF));
    if (values.length !== outF) {
      throw new AdapterError(
        'SHAPE_MISMATCH',
        `${branch.module}.bias: the adapter's ${showShape(chosen?.r.tensor.shape ?? [])} does not fit ${outF} outputs`,
        { module: branch.module },
      );
    }
    feeds[inputs.bias] = typedFeed(values, branch.biasType ?? 0, [outF], `${branch.module}.bias`);
  }
  return feeds;
}

/**
 * Builds the feeds of a model rewritten by `injectAdapterBranches` for one run: every branch input plus the
 * adapter index. The rewritten model stays the same whatever the selection — switching adapters, summing
 * several, disabling them or mixing them per row only changes these feeds. Prepared layers (transposed,
 * scaled, DoRA factors) are cached per branch and adapter layer, so switching back costs no recomputation; a
 * single adapter is fed from that cache without copies.
 *
 * Adapter parameters PEFT writes into the base model when loading (trained biases, saved embedding layers) are
 * not fed: merge them into the model before rewriting it (see {@link dynamicTargets}).
 *
 * For the uniform variant (`rows: 'uniform'`, no adapter index input) the selection must use one adapter set for
 * every row, and the feeds have no slot dimension.
 *
 * @param model - the branches and adapter index input of the rewritten model
 * @param selection - the active adapters (`{ adapters }`) or one set per row (`{ perRow }`)
 * @param batchSize - rows of the batch the other inputs have
 * @returns plain typed arrays by input name (onnxruntime's `{ type, data, dims }`); treat them as read-only
 * @throws {AdapterError} `TARGET_NOT_FOUND` (a layer with no branch), `SHAPE_MISMATCH`, `UNSUPPORTED_FEATURE`
 *   (a modules_to_save parameter with no branch, rows disagreeing on one), `INCOMPATIBLE_ADAPTERS`,
 *   `INVALID_ARGUMENT` (batch size, several sets per batch for the uniform variant)
 * @example
 * ```ts
 * const rewritten = await injectAdapterBranches(model, dynamicTargets([a, b]));
 * const feeds = await buildAdapterFeeds(rewritten, { perRow: [[a], null] }, 2);
 * ```
 */
export async function buildAdapterFeeds(
  model: DynamicModelInputs,
  selection: AdapterSelection,
  batchSize: number,
): Promise<AdapterFeeds> {
  const { slots, rows } = slotsOf(selection, batchSize);
  const layers = layersBySlot(model.branches, slots);
  const parts = await Promise.all(
    model.branches.map(async (branch): Promise<AdapterFeeds> => {
      const perSlot = layers.get(branch) ?? [];
      if (branch.kind === 'replace') return replaceFeeds(branch, slots);
      if (branch.kind === 'ia3') {
        const vectors = await Promise.all(
          perSlot.map((list) => Promise.all(list.map((l) => preparedIa3(branch, l as Ia3Layer)))),
        );
        return ia3Feed(branch, vectors);
      }
      const prepared = await Promise.all(
        perSlot.map((list) => Promise.all(list.map((l) => preparedLowRank(branch, l as LoraLayer)))),
      );
      return lowRankFeeds(branch, prepared);
    }),
  );
  if (model.adapterIndexInput === undefined) return uniformFeeds(model.branches, parts, slots.length);
  const index: AdapterFeed = {
    type: 'int64',
    data: BigInt64Array.from(rows, (r) => BigInt(r)),
    dims: [batchSize],
  };
  return Object.assign({ [model.adapterIndexInput]: index }, ...parts) as AdapterFeeds;
}

/**
 * The feeds of the uniform variant (no adapter index): the one slot's feeds without their slot dimension — the
 * same values, `[in, 1, R]` read as `[in, R]`.
 */
function uniformFeeds(
  branches: readonly AdapterBranch[],
  parts: readonly AdapterFeeds[],
  slots: number,
): AdapterFeeds {
  if (slots !== 1) {
    throw new AdapterError(
      'INVALID_ARGUMENT',
      `the model was rewritten for one adapter set per batch (rows: 'uniform'); the rows use ${slots} sets`,
    );
  }
  const feeds = Object.assign({}, ...parts) as AdapterFeeds;
  for (const branch of branches) {
    if (branch.kind === 'replace') continue;
    const { A, B, g, bias, ia3 } = branch.inputs;
    const squeeze = (name: string | undefined, axis: number) => {
      const f = name === undefined ? undefined : feeds[name];
      if (name !== undefined && f) feeds[name] = { ...f, dims: f.dims.filter((_, i) => i !== axis) };
    };
    squeeze(A, 1);
    squeeze(B, 0);
    squeeze(g, 0);
    squeeze(bias, 0);
    squeeze(ia3, 0);
  }
  return feeds;
}
