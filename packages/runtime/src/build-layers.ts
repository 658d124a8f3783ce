import {
  type AdaLoraConfig,
  type AdapterConfig,
  alphaOf,
  type IA3Config,
  isAllLinear,
  isFeedforwardModule,
  isTargetModule,
  type LoraConfig,
  rankOf,
  scalingOf,
} from '@peftjs/config';
import { mergeIa3 } from '@peftjs/kernels';
import { type AdapterParam, parseAdapterKey, stripPeftPrefix } from './adapter-keys.js';
import type { AdapterLayer, AdapterReplacement, Ia3Layer, LoraLayer } from './adapter-layer.js';
import { type AdapterTensor, derivedTensor, numel } from './adapter-tensor.js';
import { checkSupported } from './check-supported.js';
import { AdapterError, showShape, wrapError } from './errors.js';

/** Layers and replacements read from an adapter's tensors. @internal */
export interface BuiltLayers {
  readonly layers: AdapterLayer[];
  readonly replacements: AdapterReplacement[];
}

type ModuleParams = Map<AdapterParam, { tensor: AdapterTensor; weightSuffix: boolean }>;

/**
 * Turns an adapter's saved tensors into one layer record per targeted module plus the base tensors it replaces,
 * checking every shape against the config.
 *
 * @param config - the parsed adapter config
 * @param tensors - the saved tensors by key
 * @returns layers (file order) and replacements
 * @throws {AdapterError} `BAD_ADAPTER`, `UNSUPPORTED_FEATURE`
 * @internal
 */
export function buildLayers(
  config: AdapterConfig,
  tensors: ReadonlyMap<string, AdapterTensor>,
  strictRanks = true,
): BuiltLayers {
  checkSupported(config);
  const modules = new Map<string, ModuleParams>();
  const replacements = new Map<string, AdapterReplacement>();
  for (const [key, tensor] of tensors) {
    const parsed = parseAdapterKey(stripPeftPrefix(key));
    if (parsed.kind === 'wrapper-internal') continue;
    if (parsed.kind === 'adapter') {
      let params = modules.get(parsed.module);
      if (params === undefined) {
        params = new Map();
        modules.set(parsed.module, params);
      }
      if (params.has(parsed.param)) {
        throw new AdapterError(
          'BAD_ADAPTER',
          `adapter holds ${parsed.param} of ${parsed.module} twice (${key})`,
          {
            module: parsed.module,
          },
        );
      }
      params.set(parsed.param, { tensor, weightSuffix: parsed.weightSuffix });
      continue;
    }
    const reason =
      parsed.kind === 'base-layer'
        ? 'base_layer'
        : isModuleToSave(config, parsed.baseName)
          ? 'modules_to_save'
          : /(^|\.)bias$/.test(parsed.baseName)
            ? 'bias'
            : 'weight';
    if (replacements.has(parsed.baseName)) {
      throw new AdapterError(
        'BAD_ADAPTER',
        `adapter holds two values for base tensor ${parsed.baseName} (${key})`,
      );
    }
    replacements.set(parsed.baseName, { name: parsed.baseName, tensor, reason });
  }
  const layers: AdapterLayer[] = [];
  for (const [module, params] of modules) {
    checkTargeted(config, module);
    layers.push(
      config.peft_type === 'IA3'
        ? ia3Layer(config, module, params)
        : loraLayer(config, module, params, strictRanks),
    );
  }
  return { layers, replacements: [...replacements.values()] };
}

/** Whether a base tensor lies inside a module that `modules_to_save` selects (PEFT: module name endswith entry). */
function isModuleToSave(config: AdapterConfig, name: string): boolean {
  const targets = config.modules_to_save ?? [];
  const segments = name.split('.');
  for (let i = 1; i < segments.length; i++) {
    const module = segments.slice(0, i).join('.');
    if (targets.some((t) => module.endsWith(t))) return true;
  }
  return false;
}

function checkTargeted(config: AdapterConfig, module: string): void {
  const targets = config.target_modules;
  const resolved = Array.isArray(targets)
    ? targets.length > 0
    : typeof targets === 'string' && !isAllLinear(targets);
  if (!resolved) return;
  let targeted: boolean;
  try {
    targeted = isTargetModule(config, module);
  } catch (error) {
    throw wrapError(error, 'INVALID_CONFIG', `checking whether target_modules selects ${module}`);
  }
  if (!targeted) {
    throw new AdapterError(
      'BAD_ADAPTER',
      `the adapter has tensors for ${module}, but its config does not target that module (target_modules ` +
        `${JSON.stringify(targets)}); PEFT would ignore them`,
      { module },
    );
  }
}

function bad(module: string, message: string): AdapterError {
  return new AdapterError('BAD_ADAPTER', `${module}: ${message}`, { module });
}

function take(
  module: string,
  params: ModuleParams,
  allowed: readonly AdapterParam[],
  suffix: boolean | null,
) {
  for (const [param, { tensor, weightSuffix }] of params) {
    if (!allowed.includes(param))
      throw bad(module, `unexpected adapter tensor ${tensor.name} for this adapter type`);
    if (suffix !== null && (param === 'lora_A' || param === 'lora_B') && weightSuffix !== suffix) {
      throw bad(
        module,
        `${tensor.name}: ${suffix ? 'LoRA saves lora_A.weight / lora_B.weight' : 'AdaLoRA saves lora_A / lora_B without .weight'}`,
      );
    }
  }
  return (param: AdapterParam): AdapterTensor | undefined => params.get(param)?.tensor;
}

function need(module: string, tensor: AdapterTensor | undefined, what: string): AdapterTensor {
  if (tensor === undefined) throw bad(module, `the adapter has no ${what} for this module`);
  return tensor;
}

function matrix(module: string, t: AdapterTensor): [number, number] {
  if (t.shape.length !== 2) {
    if (t.shape.length > 2) {
      throw new AdapterError(
        'UNSUPPORTED_FEATURE',
        `${module}: ${t.name} has shape ${showShape(t.shape)}; LoRA on convolution layers is not supported`,
        { module },
      );
    }
    throw bad(module, `${t.name} has shape ${showShape(t.shape)}; expected a matrix`);
  }
  return [t.shape[0] as number, t.shape[1] as number];
}

function vector(module: string, t: AdapterTensor | undefined, length: number): void {
  if (t !== undefined && (numel(t.shape) !== length || t.shape.filter((d) => d !== 1).length > 1)) {
    throw bad(module, `${t.name} has shape ${showShape(t.shape)}; expected ${length} values`);
  }
}

function loraLayer(
  config: LoraConfig | AdaLoraConfig,
  module: string,
  params: ModuleParams,
  strictRanks: boolean,
): LoraLayer {
  const adalora = config.peft_type === 'ADALORA';
  const embedding = params.has('lora_embedding_A') || params.has('lora_embedding_B');
  const allowed: AdapterParam[] = adalora
    ? ['lora_A', 'lora_B', 'lora_E']
    : embedding
      ? ['lora_embedding_A', 'lora_embedding_B', 'lora_magnitude_vector']
      : ['lora_A', 'lora_B', 'lora_B.bias', 'lora_magnitude_vector'];
  const get = take(module, params, allowed, !adalora);
  const A = need(
    module,
    get(embedding ? 'lora_embedding_A' : 'lora_A'),
    embedding ? 'lora_embedding_A' : 'lora_A',
  );
  const B = need(
    module,
    get(embedding ? 'lora_embedding_B' : 'lora_B'),
    embedding ? 'lora_embedding_B' : 'lora_B',
  );
  const [rank, inFeatures] = matrix(module, A);
  const [outFeatures, rankB] = matrix(module, B);
  if (rankB !== rank) {
    throw bad(
      module,
      `${A.name} ${showShape(A.shape)} and ${B.name} ${showShape(B.shape)} have different ranks`,
    );
  }
  const configRank = rankOf(config, module);
  if (strictRanks && configRank !== rank) {
    throw bad(module, `the tensors have rank ${rank}, but the config gives this module r=${configRank}`);
  }
  const magnitude = get('lora_magnitude_vector');
  const useDora = !adalora && config.use_dora;
  if (useDora !== (magnitude !== undefined)) {
    throw bad(
      module,
      useDora
        ? 'use_dora is set but there is no lora_magnitude_vector'
        : `${magnitude?.name} without use_dora`,
    );
  }
  vector(module, magnitude, outFeatures);
  const loraBias = get('lora_B.bias');
  if (loraBias !== undefined && !config.lora_bias) throw bad(module, `${loraBias.name} without lora_bias`);
  vector(module, loraBias, outFeatures);
  const common = {
    kind: embedding ? ('lora-embedding' as const) : ('lora' as const),
    module,
    B,
    rank,
    alpha: alphaOf(config, module),
    inFeatures,
    outFeatures,
    fanInFanOut: config.fan_in_fan_out,
    ...(magnitude === undefined ? {} : { magnitude }),
    ...(loraBias === undefined ? {} : { loraBias }),
  };
  if (config.peft_type !== 'ADALORA') return { ...common, A, scaling: scalingOf(config, module) };
  const E = need(module, get('lora_E'), 'lora_E');
  if (E.shape.length !== 2 || E.shape[0] !== rank || E.shape[1] !== 1) {
    throw bad(module, `${E.name} has shape ${showShape(E.shape)}; expected [${rank}, 1]`);
  }
  const scaling = scalingOf(config, module);
  const ranknum = config.init_r;
  // LoRA form A' = A ⊙ E: IA3's row scaling kernel computes exactly PyTorch's `A * E` (one f32 product each).
  const loraA = derivedTensor(`${A.name} * ${E.name}`, A.shape, async () => {
    const data = await A.float32();
    mergeIa3(
      { data, dtype: 'f32', rows: rank, cols: inFeatures },
      { l: await E.float32(), feedforward: false },
    );
    return data;
  });
  return {
    ...common,
    A: loraA,
    scaling: scaling / (ranknum + 1e-5),
    adalora: { A, E, ranknum, scaling, initR: config.init_r },
  };
}

function ia3Layer(config: IA3Config, module: string, params: ModuleParams): Ia3Layer {
  const get = take(module, params, ['ia3_l'], null);
  const ia3 = need(module, get('ia3_l'), 'ia3_l');
  if (ia3.shape.length !== 2) {
    if (ia3.shape.length > 2) {
      throw new AdapterError(
        'UNSUPPORTED_FEATURE',
        `${module}: ${ia3.name} has shape ${showShape(ia3.shape)}; IA3 on convolution layers is not supported`,
        { module },
      );
    }
    throw bad(module, `${ia3.name} has shape ${showShape(ia3.shape)}; expected [out, 1] or [1, in]`);
  }
  const [rows, cols] = ia3.shape as [number, number];
  const byShape = rows === 1 && cols !== 1 ? true : cols === 1 && rows !== 1 ? false : undefined;
  let isFeedforward = byShape;
  if (config.feedforward_modules !== null) {
    isFeedforward = isFeedforwardModule(config, module);
    if (byShape !== undefined && byShape !== isFeedforward) {
      throw bad(
        module,
        `${ia3.name} has shape ${showShape(ia3.shape)}, but feedforward_modules says the module is ` +
          `${isFeedforward ? '' : 'not '}feed-forward (expected ${isFeedforward ? '[1, in]' : '[out, 1]'})`,
      );
    }
  }
  return {
    kind: 'ia3',
    module,
    ia3,
    isFeedforward: isFeedforward ?? false,
    size: rows * cols,
    fanInFanOut: config.fan_in_fan_out,
  };
}
