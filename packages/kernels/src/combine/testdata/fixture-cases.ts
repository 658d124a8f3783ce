/**
 * Loads the PEFT `add_weighted_adapter` fixtures (generated `combine/<set>/` and golden `opt-weighted`) into
 * per-layer inputs for `combineLoraLayer`, for the fixture tests. Reads bytes through an injected reader so the
 * file stays free of node:* imports. @internal
 */
import type { CombinationType, LoraLayerAdapter } from '../combination-types.js';
import type { MajoritySignMethod } from '../merge-methods.js';
import {
  type FixtureLoraConfig,
  type FixtureTensor,
  loraModules,
  loraScaling,
  readSafetensors,
} from './fixture-helpers.js';

/** Reads a file under `fixtures/` (path parts relative to it). @internal */
export type FixtureReader = (...parts: string[]) => Uint8Array;

/** The arguments of one `add_weighted_adapter` call. @internal */
export interface CombineCallParams {
  readonly adapters: readonly string[];
  readonly weights: readonly number[];
  readonly combination_type: CombinationType;
  readonly density?: number;
  readonly svd_rank?: number;
  readonly svd_clamp?: number;
  readonly majority_sign_method?: MajoritySignMethod;
}

/** One layer of one fixture call: our inputs and PEFT's saved output. @internal */
export interface FixtureLayer {
  readonly module: string;
  readonly adapters: LoraLayerAdapter[];
  readonly expectedA: FixtureTensor;
  readonly expectedB: FixtureTensor;
  readonly fanInFanOut: boolean;
  readonly embedding: boolean;
}

/** One fixture call. @internal */
export interface FixtureCall {
  readonly label: string;
  readonly params: CombineCallParams;
  readonly sourceConfigs: FixtureLoraConfig[];
  readonly resultConfig: FixtureLoraConfig & Record<string, unknown>;
  readonly layers: FixtureLayer[];
}

const decoder = new TextDecoder();

function json<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

/**
 * Builds every call of a LoRA combine fixture: `root` is the folder holding `adapters/{a,b}` (and `results/` for
 * generated sets); `calls` lists `[label, params, resultFolder]`.
 *
 * @internal
 */
export function loadCalls(
  read: FixtureReader,
  root: string[],
  calls: readonly [string, CombineCallParams, string[]][],
): FixtureCall[] {
  const sources = new Map<string, { config: FixtureLoraConfig; tensors: Map<string, FixtureTensor> }>();
  const source = (name: string) => {
    let s = sources.get(name);
    if (s === undefined) {
      s = {
        config: json<FixtureLoraConfig>(read(...root, 'adapters', name, 'adapter_config.json')),
        tensors: readSafetensors(read(...root, 'adapters', name, 'adapter_model.safetensors')),
      };
      sources.set(name, s);
    }
    return s;
  };
  return calls.map(([label, params, resultDir]) => {
    const resultConfig = json<FixtureLoraConfig & Record<string, unknown>>(
      read(...resultDir, 'adapter_config.json'),
    );
    const result = loraModules(readSafetensors(read(...resultDir, 'adapter_model.safetensors')));
    const srcs = params.adapters.map((name) => ({
      name,
      ...source(name),
      modules: loraModules(source(name).tensors),
    }));
    const layers: FixtureLayer[] = [];
    for (const [module, expected] of result) {
      const adapters: LoraLayerAdapter[] = [];
      params.adapters.forEach((_, i) => {
        const src = srcs[i]!;
        const m = src.modules.get(module);
        if (m === undefined) return;
        const { scaling } = loraScaling(src.config, module);
        adapters.push({
          A: m.A.data,
          B: m.B.data,
          r: m.A.shape[0]!,
          inFeatures: m.A.shape[1]!,
          outFeatures: m.B.shape[0]!,
          scaling,
          weight: params.weights[i]!,
        });
      });
      layers.push({
        module,
        adapters,
        expectedA: expected.A,
        expectedB: expected.B,
        fanInFanOut: srcs[0]!.config.fan_in_fan_out === true,
        embedding: expected.embedding,
      });
    }
    return { label, params, sourceConfigs: srcs.map((s) => s.config), resultConfig, layers };
  });
}

/**
 * Every LoRA fixture call: the generated sets (from each `results/<label>/params.json`) and the golden
 * `opt-weighted` case (weights 0.7 / 0.5, density 0.5 from its `case.json`).
 *
 * @internal
 */
export function allCalls(
  read: FixtureReader,
  generatedSets: readonly string[],
  resultLabels: (set: string) => string[],
): FixtureCall[] {
  const calls: FixtureCall[] = [];
  for (const set of generatedSets) {
    const root = ['generated', 'combine', set];
    calls.push(
      ...loadCalls(
        read,
        root,
        resultLabels(set).map((label) => {
          const dir = [...root, 'results', label];
          return [`${set}/${label}`, json<CombineCallParams>(read(...dir, 'params.json')), dir];
        }),
      ),
    );
  }
  const golden = ['golden', 'cases', 'opt-weighted'];
  const caseJson = json<{
    weights: number[];
    sources: string[];
    combos: Record<string, { density?: number }>;
  }>(read(...golden, 'case.json'));
  calls.push(
    ...loadCalls(
      read,
      golden,
      Object.entries(caseJson.combos).map(([type, combo]) => {
        const params: CombineCallParams = {
          adapters: caseJson.sources,
          weights: caseJson.weights,
          combination_type: type as CombinationType,
          ...(combo.density === undefined ? {} : { density: combo.density }),
        };
        return [`opt-weighted/${type}`, params, [...golden, 'adapters', type]];
      }),
    ),
  );
  return calls;
}
