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
  readTensorFloat32,
  type TensorProto,
  type WeightLayout,
  WeightLocator,
  type WeightOp,
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

/** Where a module's weight was merged, so a model merged from this one can still find it. @internal */
export interface KnownWeight {
  readonly initializer: string;
  readonly layout: WeightLayout;
  readonly op: WeightOp;
}

/** A merged model with what the merge learnt. @internal */
export interface BuiltModel extends OnnxModelBytes {
  readonly known: ReadonlyMap<string, KnownWeight>;
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
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
  /** A module's weight as the checkpoint (or the model this one was merged from) has it, for value matching. */
  readonly baseWeight: BaseWeightFn | undefined;
  private readonly base: BaseCheckpoint | undefined;
  private locator: WeightLocator | undefined;
  private index: ModelIndex | undefined;

  private constructor(
    readonly input: OnnxModelBytes,
    proto: ModelProto,
    base: BaseCheckpoint | undefined,
    /** Modules located in the model this one was merged from (their values no longer match the checkpoint). */
    readonly known: ReadonlyMap<string, KnownWeight>,
  ) {
    this.proto = proto;
    this.source = externalDataFromFiles(input.externalData);
    this.base = base;
    this.baseWeight =
      base === undefined && known.size === 0 ? undefined : baseWeightOf(base, known, proto, this.source);
  }

  /**
   * Decodes a model and checks that every external data file it names was given.
   *
   * @throws {AdapterError} `INVALID_FILE` (not an ONNX model), `MISSING_FILE` (an external data file missing)
   */
  static open(
    input: OnnxModelBytes,
    base?: BaseCheckpoint,
    known: ReadonlyMap<string, KnownWeight> = new Map(),
  ): SessionModel {
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
    return new SessionModel(input, proto, base, known);
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
  async build({ biases, parameters, targets }: MergeEdits): Promise<BuiltModel> {
    if (targets.length === 0 && biases.length === 0 && parameters.length === 0) {
      return { ...this.input, known: this.known };
    }
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
    const known = new Map(this.known);
    for (const m of merged) {
      known.set(m.module, { initializer: m.initializer, layout: m.location.layout, op: m.location.op });
    }
    if (!this.hasExternalData) return { bytes: encodeModel(model), externalData: [], known };
    const names = new Set<string>(parameters.map((p) => p.slot.name));
    for (const m of merged) {
      names.add(m.initializer);
      if (m.bias !== undefined) names.add(m.bias.initializer);
    }
    const overlay = this.overlay(model, names);
    return {
      bytes: encodeModel(model),
      externalData: overlay === undefined ? this.input.externalData : [...this.input.externalData, overlay],
      known,
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

/**
 * A module's weight for value matching, as PyTorch stores it: read back from this model for modules merged into
 * it (by the initializer the merge wrote), else `<module>.weight` of the checkpoint.
 */
function baseWeightOf(
  base: BaseCheckpoint | undefined,
  known: ReadonlyMap<string, KnownWeight>,
  proto: ModelProto,
  source: ExternalDataSource,
): BaseWeightFn {
  return async (module: string): Promise<BaseWeight | undefined> => {
    const seen = known.get(module);
    const merged = seen && proto.graph.initializer.find((t) => t.name === seen.initializer);
    if (seen !== undefined && merged !== undefined && merged.dims.length === 2) {
      const values = await readTensorFloat32(merged, source);
      const [rows, cols] = merged.dims as [number, number];
      if (seen.layout === 'out_in' || seen.op === 'Gather') return { data: values, shape: [rows, cols] };
      return { data: transpose(values, rows, cols), shape: [cols, rows] };
    }
    if (base === undefined) return undefined;
    const name = checkpointName(base, module);
    if (name === undefined) return undefined;
    const tensor = await base.read(name);
    if (tensor.shape.length !== 2) return undefined;
    return { data: toFloat32(tensor), shape: tensor.shape };
  };
}
