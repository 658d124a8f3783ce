import {
  DataType,
  isOnnxError,
  type ModelIndex,
  type WeightKind,
  type WeightLayout,
  type WeightLocation,
  type WeightLocator,
} from '@peftjs/onnx';
import type { Adapter } from '../adapter.js';
import type { AdapterLayer, AdapterReplacement } from '../adapter-layer.js';
import { AdapterError, showShape, wrapError } from '../errors.js';
import { canAddBias } from './add-bias.js';
import type { HalfStorage } from './half-storage.js';
import { findParameter, type ParameterSlot } from './replace-parameter.js';

/** An adapter layer and where its module's weight is in the ONNX graph. @internal */
export interface LocatedLayer {
  readonly layer: AdapterLayer;
  readonly kind: WeightKind;
  readonly location: WeightLocation;
  /** The half type a float32 weight really holds (merge in it, as PEFT does). */
  readonly half: HalfStorage | undefined;
}

/** A base parameter an adapter replaces, located in the graph. @internal */
export interface LocatedReplacement {
  readonly replacement: AdapterReplacement;
  /** The module owning the parameter. */
  readonly module: string;
  readonly kind: WeightKind | undefined;
  /** `'weight'` (values in `layout`) or `'bias'`. */
  readonly param: 'weight' | 'bias';
  /** Layout of the replacement's values (PyTorch's for the module). */
  readonly layout: WeightLayout;
  /** Where the module's weight is. */
  readonly location: WeightLocation;
  /** A bias the export dropped (it was zero in the base): the merge adds one to the graph. */
  readonly addBias: boolean;
  /** The half type a float32 weight really holds (values are rounded to it). */
  readonly half: HalfStorage | undefined;
  /**
   * `'active'`: modules_to_save copies, used while the adapter is active; `'loaded'`: parameters PEFT loads into
   * the base model itself (trained biases, saved embedding layers), in effect while the adapter is loaded.
   */
  readonly scope: 'active' | 'loaded';
}

/** A replaced base parameter that is not a MatMul/Gemm/Gather weight or bias (a LayerNorm bias). @internal */
export interface LocatedParameter {
  readonly replacement: AdapterReplacement;
  readonly slot: ParameterSlot;
  readonly scope: 'active' | 'loaded';
}

/** An adapter checked against a model: every target located, every shape checked. @internal */
export interface AdapterPlan {
  readonly layers: readonly LocatedLayer[];
  readonly replacements: readonly LocatedReplacement[];
  readonly parameters: readonly LocatedParameter[];
}

/** What planning needs from the model. @internal */
export interface PlanContext {
  readonly locator: WeightLocator;
  /** The base graph's index (for parameters found by scope). */
  readonly index: () => ModelIndex;
  /** The half type a float32 weight holds, if any. */
  readonly halfOf: (location: WeightLocation) => Promise<HalfStorage | undefined>;
}

const FLOATS = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16]);

/**
 * Locates every layer and replaced parameter of `adapter` in the model and checks them against the weights found,
 * as loading an adapter into the wrong base fails in PEFT.
 *
 * @param adapter - the adapter
 * @param context - the base model's locator, index and half-type test
 * @returns the plan
 * @throws {AdapterError} `TARGET_NOT_FOUND` (listing every module the graph lacks), `SHAPE_MISMATCH` (naming the
 *   module and both shapes), `UNSUPPORTED_FEATURE` (a non-float weight)
 * @internal
 */
export async function planAdapter(adapter: Adapter, context: PlanContext): Promise<AdapterPlan> {
  const { locator, halfOf } = context;
  const kinds = adapter.layers.map((l): WeightKind => (l.kind === 'lora-embedding' ? 'embedding' : 'linear'));
  let locations: WeightLocation[];
  try {
    locations = await locator.locateAll(
      adapter.layers.map((l, i) => ({ module: l.module, kind: kinds[i] as WeightKind })),
    );
  } catch (error) {
    throw locateError(error, 'the adapter targets modules the ONNX model does not have');
  }
  const layers: LocatedLayer[] = [];
  for (const [i, layer] of adapter.layers.entries()) {
    const location = locations[i] as WeightLocation;
    checkLayer(layer, location);
    layers.push({ layer, kind: kinds[i] as WeightKind, location, half: await halfOf(location) });
  }
  const embeddings = new Set(layers.filter((l) => l.kind === 'embedding').map((l) => l.layer.module));
  const replacements: LocatedReplacement[] = [];
  const parameters: LocatedParameter[] = [];
  const missing: string[] = [];
  for (const replacement of adapter.replacements) {
    const dot = replacement.name.lastIndexOf('.');
    const module = replacement.name.slice(0, dot);
    const param = replacement.name.slice(dot + 1);
    const kind: WeightKind | undefined = embeddings.has(module) ? 'embedding' : undefined;
    const location =
      param === 'weight' || param === 'bias' ? await locateModule(locator, module, kind) : undefined;
    const scope: LocatedReplacement['scope'] = replacement.reason === 'modules_to_save' ? 'active' : 'loaded';
    if (location === undefined) {
      const slot = findParameter(context.index(), replacement.name, replacement.tensor.shape);
      if (slot === undefined) missing.push(replacement.name);
      else parameters.push({ replacement, slot, scope });
      continue;
    }
    const common = { replacement, module, kind, scope, location, half: await halfOf(location) };
    if (param === 'bias') {
      const addBias = checkBias(replacement, location);
      replacements.push({ ...common, param, layout: 'out_in', addBias });
    } else {
      const layout = weightLayout(replacement, location, adapter.config.fan_in_fan_out === true);
      replacements.push({ ...common, param: 'weight', layout, addBias: false });
    }
  }
  if (missing.length > 0) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `the adapter replaces ${missing.length} base parameter(s) peftjs cannot find in the ONNX graph (neither the ` +
        `weight or bias of a MatMul, Gemm or Gather, nor an input of its module's nodes): ${missing.join(', ')}`,
      { module: missing[0] },
    );
  }
  return { layers, replacements, parameters };
}

async function locateModule(
  locator: WeightLocator,
  module: string,
  kind: WeightKind | undefined,
): Promise<WeightLocation | undefined> {
  try {
    return await locator.locate(module, kind === undefined ? {} : { kind });
  } catch (error) {
    if (isOnnxError(error) && error.code === 'AMBIGUOUS_TARGET' && kind === undefined) {
      return locateModule(locator, module, 'linear');
    }
    if (isOnnxError(error) && error.code === 'TARGET_NOT_FOUND') return undefined;
    throw locateError(error, `locating ${module} failed`);
  }
}

function locateError(error: unknown, what: string): AdapterError {
  if (isOnnxError(error) && (error.code === 'TARGET_NOT_FOUND' || error.code === 'AMBIGUOUS_TARGET')) {
    return new AdapterError('TARGET_NOT_FOUND', `${what}: ${error.message}`, { cause: error });
  }
  return wrapError(error, 'INVALID_FILE', what);
}

function where(location: WeightLocation): string {
  const dims = showShape(location.tensor.dims);
  return `the ONNX weight ${location.initializer} ${dims} (${location.op}, ${location.inFeatures}→${location.outFeatures})`;
}

function mismatch(module: string, adapterSide: string, location: WeightLocation): AdapterError {
  return new AdapterError(
    'SHAPE_MISMATCH',
    `${module}: the adapter's ${adapterSide} does not fit ${where(location)}; the adapter was trained on a ` +
      'different base model',
    { module },
  );
}

function checkLayer(layer: AdapterLayer, location: WeightLocation): void {
  if (!FLOATS.has(location.dataType)) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `${layer.module}: ${location.initializer} is not a float weight; merging needs FLOAT, FLOAT16 or BFLOAT16 ` +
        '(quantized models are not supported)',
      { module: layer.module },
    );
  }
  const { inFeatures: inF, outFeatures: outF } = location;
  if (layer.kind === 'ia3') {
    const want = layer.isFeedforward ? inF : outF;
    if (layer.size !== want || location.op === 'Gather') {
      const dim = layer.isFeedforward ? 'input' : 'output';
      throw mismatch(
        layer.module,
        `ia3_l ${showShape(layer.ia3.shape)} (scales the ${dim} dimension)`,
        location,
      );
    }
    return;
  }
  const side = `lora A ${showShape(layer.A.shape)} / B ${showShape(layer.B.shape)}`;
  const isEmbedding = layer.kind === 'lora-embedding';
  if (isEmbedding !== (location.op === 'Gather') || layer.inFeatures !== inF || layer.outFeatures !== outF) {
    throw mismatch(layer.module, `${side} (${layer.inFeatures}→${layer.outFeatures})`, location);
  }
  if (layer.loraBias !== undefined && location.bias === undefined && !canAddBias(location)) {
    throw new AdapterError(
      'TARGET_NOT_FOUND',
      `${layer.module}: the adapter has lora_B.bias, but no bias of ${location.initializer} was found in the graph`,
      { module: layer.module },
    );
  }
}

/** Checks a replaced bias; returns whether the graph lacks it and it must be added. */
function checkBias(replacement: AdapterReplacement, location: WeightLocation): boolean {
  const shape = replacement.tensor.shape;
  if (location.bias === undefined && !canAddBias(location)) {
    throw new AdapterError(
      'UNSUPPORTED_FEATURE',
      `${replacement.name}: the adapter replaces this bias, but no bias of ${location.initializer} was found in ` +
        'the ONNX graph',
      { module: replacement.name },
    );
  }
  if (shape.length !== 1 || shape[0] !== location.outFeatures) {
    throw mismatch(replacement.name, `${replacement.tensor.name} ${showShape(shape)}`, location);
  }
  return location.bias === undefined;
}

function weightLayout(
  replacement: AdapterReplacement,
  location: WeightLocation,
  fanInFanOut: boolean,
): WeightLayout {
  const [rows, cols] = replacement.tensor.shape;
  const { inFeatures: inF, outFeatures: outF } = location;
  const outIn = replacement.tensor.shape.length === 2 && rows === outF && cols === inF;
  const inOut = replacement.tensor.shape.length === 2 && rows === inF && cols === outF;
  if (location.op === 'Gather' && inOut) return 'in_out';
  if (location.op !== 'Gather' && outIn && inOut) return fanInFanOut ? 'in_out' : 'out_in';
  if (location.op !== 'Gather' && (outIn || inOut)) return outIn ? 'out_in' : 'in_out';
  throw mismatch(
    replacement.name,
    `${replacement.tensor.name} ${showShape(replacement.tensor.shape)}`,
    location,
  );
}
