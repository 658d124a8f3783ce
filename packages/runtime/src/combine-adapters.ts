import {
  type AdapterConfig,
  type IA3Config,
  isAllLinear,
  isTargetModule,
  type LoraConfig,
  withNumberKinds,
} from '@peftjs/config';
import {
  type CombinationType,
  combinedIa3ConfigChanges,
  combinedLoraConfigChanges,
  combineIa3Vectors,
  combineLoraLayer,
  deriveSeed,
  type LoraLayerAdapter,
  type MajoritySignMethod,
} from '@peftjs/kernels';
import type { TensorInput } from '@peftjs/safetensors';
import { Adapter } from './adapter.js';
import { PEFT_KEY_PREFIX } from './adapter-keys.js';
import type { Ia3Layer, LoraLayer } from './adapter-layer.js';
import { AdapterError, wrapError } from './errors.js';

/** One source of a combination and its weight. */
export interface WeightedAdapter {
  /** A loaded LoRA or IA3 adapter. */
  readonly adapter: Adapter;
  /** Its weight (may be negative). */
  readonly weight: number;
}

/** Options of {@link combineAdapters}: PEFT's `add_weighted_adapter` arguments. */
export interface CombineAdaptersOptions {
  /** The adapters and weights, in order (the first one's config is the template). */
  readonly adapters: readonly WeightedAdapter[];
  /** LoRA combination type. @defaultValue 'svd' (PEFT's default) */
  readonly type?: CombinationType;
  /** Fraction kept by `ties*`, `dare*`, `magnitude_prune*`. */
  readonly density?: number;
  /** Rank of svd combinations (default: the largest source rank). */
  readonly svdRank?: number;
  /** Clamp svd factors to this quantile of their values. */
  readonly svdClamp?: number;
  /** PEFT's `svd_full_matrices`. @defaultValue true */
  readonly svdFullMatrices?: boolean;
  /** TIES sign election. @defaultValue 'total' */
  readonly majoritySignMethod?: MajoritySignMethod;
  /** Seed of DARE's random masks (PEFT uses torch's RNG, so DARE with density < 1 cannot match it). @defaultValue 0 */
  readonly seed?: number;
}

/**
 * Combines adapters into a new one exactly as PEFT 0.21's `add_weighted_adapter` (LoRA: every combination type;
 * IA3: the weighted sum): new config from the first adapter's (LoRA: `r = lora_alpha =` the new rank,
 * `target_modules` joined, rank/alpha patterns cleared), and per layer only the adapters present on that layer.
 *
 * @param options - adapters with weights, combination type and its parameters
 * @returns the combined adapter (in memory; save it with `saveAdapter`)
 * @throws {AdapterError} `INVALID_ARGUMENT` (no adapters, mixed types, bad weights, rank mismatch for the factor
 *   types, bad density), `UNSUPPORTED_FEATURE` (AdaLoRA, DoRA, `modules_to_save` or trained biases, which PEFT
 *   re-creates from the base model)
 * @example
 * ```ts
 * const combined = await combineAdapters({ adapters: [{ adapter: a, weight: 0.7 }, { adapter: b, weight: 0.5 }], type: 'cat' });
 * ```
 */
export async function combineAdapters(options: CombineAdaptersOptions): Promise<Adapter> {
  const sources = options.adapters;
  const first = sources[0];
  if (first === undefined)
    throw new AdapterError('INVALID_ARGUMENT', 'combineAdapters needs at least one adapter');
  const type = first.adapter.peftType;
  for (const [i, { adapter, weight }] of sources.entries()) {
    if (adapter.peftType !== type) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `cannot combine adapters of different types: adapter 0 is ${type}, adapter ${i} is ${adapter.peftType}`,
      );
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `adapter ${i} has weight ${String(weight)}; weights must be finite numbers`,
      );
    }
    checkCombinable(adapter, i);
  }
  try {
    if (type === 'IA3') return await combineIa3(sources);
    if (type === 'ADALORA') {
      throw new AdapterError(
        'UNSUPPORTED_FEATURE',
        'AdaLoRA adapters cannot be combined (PEFT raises TypeError)',
      );
    }
    return await combineLora(sources, options);
  } catch (error) {
    throw wrapError(error, 'INVALID_ARGUMENT', 'combining the adapters failed');
  }
}

function checkCombinable(adapter: Adapter, i: number): void {
  const { config } = adapter;
  if (config.peft_type !== 'IA3' && config.use_dora) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `adapter ${i} uses DoRA: PEFT gives the combined adapter a magnitude computed from the base weights`,
    );
  }
  const replaced = adapter.replacements[0];
  if (replaced !== undefined) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `adapter ${i} replaces base tensors (${replaced.name}, ${replaced.reason}): PEFT gives the combined adapter ` +
        'fresh copies of them from the base model, which a combination without the base cannot reproduce',
    );
  }
}

/** Modules of the sources, first-seen order, that the new config still targets (PEFT injects by config). */
function targetedModules(config: AdapterConfig, sources: readonly WeightedAdapter[]): string[] {
  const modules = new Set<string>();
  for (const { adapter } of sources) for (const l of adapter.layers) modules.add(l.module);
  const targets = config.target_modules;
  const resolved = Array.isArray(targets) || (typeof targets === 'string' && !isAllLinear(targets));
  return [...modules].filter((m) => !resolved || isTargetModule(config, m));
}

async function combineLora(
  sources: readonly WeightedAdapter[],
  options: CombineAdaptersOptions,
): Promise<Adapter> {
  const configs = sources.map((s) => s.adapter.config as LoraConfig);
  const requested = options.type ?? 'svd';
  const { combinationType, changes } = combinedLoraConfigChanges(configs, requested, options.svdRank);
  const template = configs[0] as LoraConfig;
  const config = withNumberKinds({ ...template, ...changes } as LoraConfig, {
    '/r': 'int',
    '/lora_alpha': 'int',
  });
  const tensors = new Map<string, TensorInput>();
  for (const module of targetedModules(config, sources)) {
    const present: { layer: LoraLayer; weight: number }[] = [];
    for (const { adapter, weight } of sources) {
      const layer = adapter.layer(module);
      if (layer !== undefined && layer.kind !== 'ia3') present.push({ layer, weight });
    }
    const head = present[0]?.layer as LoraLayer;
    const layers: LoraLayerAdapter[] = [];
    for (const { layer, weight } of present) {
      layers.push({
        A: await layer.A.float32(),
        B: await layer.B.float32(),
        r: layer.rank,
        inFeatures: layer.inFeatures,
        outFeatures: layer.outFeatures,
        scaling: layer.scaling,
        weight,
      });
    }
    const combined = combineLoraLayer({
      adapters: layers,
      type: combinationType,
      newRank: changes.r,
      ...(options.density === undefined ? {} : { density: options.density }),
      ...(options.majoritySignMethod === undefined ? {} : { majoritySignMethod: options.majoritySignMethod }),
      ...(options.svdClamp === undefined ? {} : { svdClamp: options.svdClamp }),
      ...(options.svdFullMatrices === undefined ? {} : { svdFullMatrices: options.svdFullMatrices }),
      seed: deriveSeed(options.seed ?? 0, module),
      fanInFanOut: head.fanInFanOut,
      embedding: head.kind === 'lora-embedding',
    });
    const key = PEFT_KEY_PREFIX + module;
    const [a, b] =
      head.kind === 'lora-embedding'
        ? ['lora_embedding_A', 'lora_embedding_B']
        : ['lora_A.weight', 'lora_B.weight'];
    tensors.set(`${key}.${a}`, { dtype: 'F32', shape: [combined.r, head.inFeatures], data: combined.A });
    tensors.set(`${key}.${b}`, { dtype: 'F32', shape: [head.outFeatures, combined.r], data: combined.B });
    // lora_bias: the new layer's lora_B.bias is created at zero and add_weighted_adapter never sets it.
    if (config.lora_bias && head.kind === 'lora') {
      tensors.set(`${key}.lora_B.bias`, {
        dtype: 'F32',
        shape: [head.outFeatures],
        data: new Float32Array(head.outFeatures),
      });
    }
  }
  // svd types keep at most min(out, in) ranks on a layer, so its tensors may be smaller than the config's r.
  return Adapter.create({ config, tensors, strictRanks: false });
}

async function combineIa3(sources: readonly WeightedAdapter[]): Promise<Adapter> {
  const configs = sources.map((s) => s.adapter.config as IA3Config);
  const config = { ...(configs[0] as IA3Config), ...combinedIa3ConfigChanges(configs) } as IA3Config;
  const tensors = new Map<string, TensorInput>();
  for (const module of targetedModules(config, sources)) {
    const vectors: { l: Float32Array; weight: number }[] = [];
    let head: Ia3Layer | undefined;
    for (const { adapter, weight } of sources) {
      const layer = adapter.layer(module);
      if (layer?.kind !== 'ia3') continue;
      head ??= layer;
      vectors.push({ l: await layer.ia3.float32(), weight });
    }
    if (head === undefined) continue;
    tensors.set(`${PEFT_KEY_PREFIX}${module}.ia3_l`, {
      dtype: 'F32',
      shape: head.ia3.shape,
      data: combineIa3Vectors(vectors, head.size),
    });
  }
  return Adapter.create({ config, tensors });
}
