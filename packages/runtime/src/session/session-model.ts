import {
  type BaseWeight,
  type BaseWeightFn,
  DEFAULT_EXTERNAL_ALIGN,
  decodeModel,
  EXTERNAL_LOCATION,
  type ExternalDataFile,
  type ExternalDataSource,
  encodeModel,
  externalDataFromFiles,
  getExternalDataInfo,
  ModelIndex,
  type ModelProto,
  mergeIntoModel,
  type TensorProto,
  WeightLocator,
} from '@peftjs/onnx';
import { toFloat32 } from '@peftjs/safetensors';
import type { Adapter } from '../adapter.js';
import type { BaseCheckpoint } from '../base-checkpoint.js';
import { AdapterError, wrapError } from '../errors.js';
import { addBiases } from './add-bias.js';
import { checkpointName, halfStorageOf } from './half-storage.js';
import type { MergeEdits } from './merge-targets.js';
import { type AdapterPlan, planAdapter } from './plan-adapter.js';
import { replaceParameters } from './replace-parameter.js';

/** An ONNX model in memory: the `.onnx` bytes and the external data files its tensors live in. */
export interface OnnxModelBytes {
  /** The serialized `ModelProto`. */
  readonly bytes: Uint8Array;
  /** External data files by the `location` the model's tensors name (empty when every tensor is inline). */
  readonly externalData: readonly ExternalDataFile[];
}

/** Merged tensors smaller than this stay inside the model; larger ones go to the merged-data file. */
const OVERLAY_THRESHOLD = 1024; // bytes
/** File name of the merged tensors of an external-data model (a suffix is added if the model uses it). */
const OVERLAY_NAME = 'peftjs-merged.data';

/**
 * A session's base ONNX model: its bytes (never changed), decoded graph, external data and weight locator. It
 * checks adapters against the graph and builds merged copies; both session modes share it.
 * @internal
 */
export class SessionModel {
  /** The decoded base graph (read-only: merges work on fresh decodes). */
  readonly proto: ModelProto;
  /** Reads the model's external tensors. */
  readonly source: ExternalDataSource;
  private readonly baseWeight: BaseWeightFn | undefined;
  private readonly base: BaseCheckpoint | undefined;
  private locator: WeightLocator | undefined;
  private index: ModelIndex | undefined;

  private constructor(
    readonly input: OnnxModelBytes,
    proto: ModelProto,
    base: BaseCheckpoint | undefined,
  ) {
    this.proto = proto;
    this.source = externalDataFromFiles(input.externalData);
    this.base = base;
    this.baseWeight = base === undefined ? undefined : baseWeightOf(base);
  }

  /**
   * Decodes a model and checks that every external data file it names was given.
   *
   * @throws {AdapterError} `INVALID_FILE` (not an ONNX model), `MISSING_FILE` (an external data file missing)
   */
  static open(input: OnnxModelBytes, base?: BaseCheckpoint): SessionModel {
    let proto: ModelProto;
    try {
      proto = decodeModel(input.bytes);
    } catch (error) {
      throw wrapError(error, 'INVALID_FILE', 'the model is not a valid ONNX file');
    }
    const given = new Set(input.externalData.map((f) => normalize(f.path)));
    const needed = new Set<string>();
    for (const tensor of proto.graph.initializer) {
      const info = getExternalDataInfo(tensor);
      if (info !== undefined) needed.add(normalize(info.location));
    }
    const missing = [...needed].filter((n) => !given.has(n));
    if (missing.length > 0) {
      throw new AdapterError(
        'MISSING_FILE',
        `the model keeps tensors in external data file(s) ${missing.join(', ')}, which were not given ` +
          `(given: ${[...given].join(', ') || 'none'})`,
      );
    }
    return new SessionModel(input, proto, base);
  }

  /** Whether any initializer lives in an external file. */
  get hasExternalData(): boolean {
    return this.input.externalData.length > 0;
  }

  /**
   * Locates an adapter's targets in the graph and checks their shapes.
   *
   * @throws {AdapterError} `TARGET_NOT_FOUND`, `SHAPE_MISMATCH`, `UNSUPPORTED_FEATURE`
   */
  plan(adapter: Adapter): Promise<AdapterPlan> {
    this.locator ??= new WeightLocator(this.proto, {
      source: this.source,
      ...(this.baseWeight === undefined ? {} : { baseWeight: this.baseWeight }),
    });
    return planAdapter(adapter, {
      locator: this.locator,
      index: () => {
        this.index ??= new ModelIndex(this.proto.graph);
        return this.index;
      },
      halfOf: (location) => halfStorageOf(location, this.proto, this.source, this.base),
    });
  }

  /**
   * A copy of the model with `targets` merged into its weights. Only the changed tensors are new: every other
   * tensor is the base's (external files are shared, not copied). With external data, the merged tensors go to one
   * extra in-memory file, so the model stays under protobuf's 2 GiB.
   *
   * @param edits - biases to add, then what to merge, in order
   * @returns the merged model (the base itself when there is nothing to merge)
   * @throws {AdapterError} when a merge fails (`cause` is the `OnnxError`)
   */
  async build({ biases, parameters, targets }: MergeEdits): Promise<OnnxModelBytes> {
    if (targets.length === 0 && biases.length === 0 && parameters.length === 0) return this.input;
    const model = decodeModel(this.input.bytes);
    let merged: Awaited<ReturnType<typeof mergeIntoModel>> = [];
    try {
      addBiases(model, biases);
      replaceParameters(model, parameters);
      if (targets.length > 0)
        merged = await mergeIntoModel(model, targets, {
          source: this.source,
          ...(this.baseWeight === undefined ? {} : { baseWeight: this.baseWeight }),
        });
    } catch (error) {
      throw wrapError(error, 'BAD_ADAPTER', 'merging the adapters into the ONNX model failed');
    }
    if (!this.hasExternalData) return { bytes: encodeModel(model), externalData: [] };
    const names = new Set<string>(parameters.map((p) => p.slot.name));
    for (const m of merged) {
      names.add(m.initializer);
      if (m.bias !== undefined) names.add(m.bias.initializer);
    }
    const overlay = this.overlay(model, names);
    return {
      bytes: encodeModel(model),
      externalData: overlay === undefined ? this.input.externalData : [...this.input.externalData, overlay],
    };
  }

  /** Moves the named (merged, inline) initializers into one new external file. */
  private overlay(model: ModelProto, names: ReadonlySet<string>): ExternalDataFile | undefined {
    const moved: [TensorProto, Uint8Array, number][] = [];
    let size = 0;
    for (const tensor of model.graph.initializer) {
      const data = tensor.rawData;
      if (!names.has(tensor.name) || data === undefined || data.length < OVERLAY_THRESHOLD) continue;
      size = Math.ceil(size / DEFAULT_EXTERNAL_ALIGN) * DEFAULT_EXTERNAL_ALIGN;
      moved.push([tensor, data, size]);
      size += data.length;
    }
    if (moved.length === 0) return undefined;
    const taken = new Set(this.input.externalData.map((f) => normalize(f.path)));
    let path = OVERLAY_NAME;
    for (let i = 1; taken.has(path); i++) path = `peftjs-merged-${i}.data`;
    const file = new Uint8Array(size);
    for (const [tensor, data, offset] of moved) {
      file.set(data, offset);
      delete tensor.rawData;
      tensor.dataLocation = EXTERNAL_LOCATION;
      tensor.externalData = [
        { key: 'location', value: path },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(data.length) },
      ];
    }
    return { path, data: file };
  }
}

function normalize(location: string): string {
  return location.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/** Reads `<module>.weight` from a checkpoint (or with its first segment dropped / `model.` added) for value matching. */
function baseWeightOf(base: BaseCheckpoint): BaseWeightFn {
  return async (module: string): Promise<BaseWeight | undefined> => {
    const name = checkpointName(base, module);
    if (name === undefined) return undefined;
    const tensor = await base.read(name);
    if (tensor.shape.length !== 2) return undefined;
    return { data: toFloat32(tensor), shape: tensor.shape };
  };
}
