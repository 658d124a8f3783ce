import { OnnxError } from '../errors.js';
import { cloneMessage, dropUnknownFields } from '../proto/message.js';
import { encodeModel, encodeModelChunks } from './codec.js';
import { tensorByteLength } from './data-type.js';
import {
  checkExternalLocation,
  EXTERNAL_LOCATION,
  type ExternalDataFile,
  type ExternalDataSource,
  isExternalTensor,
} from './external-data.js';
import { TYPED_DATA_FIELDS } from './schemas.js';
import { readTensorData } from './tensor-data.js';
import { DataType, type GraphProto, type ModelProto, type TensorProto } from './types.js';

/** Tensors smaller than this many bytes stay inside the model by default (onnx's `size_threshold`). */
export const DEFAULT_EXTERNAL_THRESHOLD = 1024; // bytes
/** Default alignment of external tensor offsets: the 4 KiB page size, so loaders can mmap each tensor. */
export const DEFAULT_EXTERNAL_ALIGN = 4096; // bytes

/** Where {@link writeModel} puts tensor data outside the model. */
export interface ExternalDataLayout {
  /** File name, relative to the model's folder (e.g. `'model.onnx.data'`). */
  location: string;
  /** Initializers of at least this many bytes go to the file; smaller ones stay inline. Default 1024. */
  threshold?: number;
  /** Each tensor's offset is a multiple of this. Default 4096. */
  align?: number;
}

/** Options of {@link writeModel}. */
export interface WriteModelOptions {
  /** `'inline'`: every tensor inside the model (< 2 GiB only); a layout: large initializers in one file. */
  externalData: 'inline' | ExternalDataLayout;
  /** Where the model's current external tensors are read from. */
  source?: ExternalDataSource;
}

/** A model written by {@link writeModel}: the `.onnx` bytes and its external files. */
export interface WrittenModel {
  model: Uint8Array;
  /** Empty for `'inline'`; one file otherwise (pass it to onnxruntime as `externalData`). */
  externalData: ExternalDataFile[];
}

/** One tensor placed in the external file. */
export interface ExternalDataEntry {
  readonly tensor: TensorProto;
  readonly offset: number;
  readonly length: number;
}

/** The layout computed by {@link planExternalData}. */
export interface ExternalDataPlan {
  /** Tensors to write to the file, at increasing offsets. */
  readonly entries: readonly ExternalDataEntry[];
  /** Tensors now external that the plan moves inside the model (their bytes must be read first). */
  readonly toInline: readonly TensorProto[];
  /** Size of the external file in bytes. */
  readonly fileLength: number;
  /** Encodes the model as planned, given the bytes of the tensors in `toInline`. */
  encode(inlined: ReadonlyMap<TensorProto, Uint8Array>, chunks?: false): Uint8Array;
  encode(inlined: ReadonlyMap<TensorProto, Uint8Array>, chunks: true): Uint8Array[];
}

/** Every tensor of the model: initializers of all graphs and tensors inside attributes, with whether each is an initializer. @internal */
export function collectTensors(
  graph: GraphProto,
  out: [TensorProto, boolean][] = [],
): [TensorProto, boolean][] {
  for (const t of graph.initializer) out.push([t, true]);
  for (const node of graph.node) {
    for (const a of node.attribute) {
      if (a.t) out.push([a.t, false]);
      for (const t of a.tensors) out.push([t, false]);
      if (a.g) collectTensors(a.g, out);
      for (const g of a.graphs) collectTensors(g, out);
    }
  }
  return out;
}

function byteLengthOrUndefined(tensor: TensorProto): number | undefined {
  if (tensor.dataType === DataType.STRING) return undefined;
  return tensorByteLength(tensor.dataType, tensor.dims);
}

/**
 * Plans where every tensor goes: initializers of at least `threshold` bytes into `layout.location` at aligned
 * offsets, everything else inline. The model is not changed; the plan's `encode` writes a re-laid-out copy.
 *
 * @param model - the model
 * @param layout - the external file and its rules, or `'inline'`
 * @returns the plan
 * @throws {OnnxError} `INVALID_ARGUMENT` for a bad alignment or threshold, `INVALID_EXTERNAL_DATA` for an unsafe location
 */
export function planExternalData(model: ModelProto, layout: 'inline' | ExternalDataLayout): ExternalDataPlan {
  const external = layout === 'inline' ? undefined : layout;
  const align = external?.align ?? DEFAULT_EXTERNAL_ALIGN;
  const threshold = external?.threshold ?? DEFAULT_EXTERNAL_THRESHOLD;
  if (!Number.isSafeInteger(align) || align < 1 || !Number.isSafeInteger(threshold) || threshold < 0) {
    throw new OnnxError(
      'INVALID_ARGUMENT',
      `Invalid external data layout: align ${align}, threshold ${threshold}; align must be an integer ≥ 1 and threshold an integer ≥ 0.`,
      {
        value: layout,
      },
    );
  }
  if (external) checkExternalLocation(external.location);
  const entries: ExternalDataEntry[] = [];
  const toInline: TensorProto[] = [];
  const seen = new Set<TensorProto>();
  let offset = 0;
  for (const [tensor, isInitializer] of collectTensors(model.graph)) {
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    const length = byteLengthOrUndefined(tensor);
    if (external && isInitializer && length !== undefined && length >= threshold) {
      offset = Math.ceil(offset / align) * align;
      entries.push({ tensor, offset, length });
      offset += length;
    } else if (isExternalTensor(tensor)) toInline.push(tensor);
  }
  const location = external?.location ?? '';
  function encode(inlined: ReadonlyMap<TensorProto, Uint8Array>, chunks = false): Uint8Array | Uint8Array[] {
    const substitutes = new Map<object, object>();
    for (const entry of entries) {
      const copy = cloneMessage(entry.tensor);
      delete copy.rawData;
      copy.dataLocation = EXTERNAL_LOCATION;
      copy.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(entry.offset) },
        { key: 'length', value: String(entry.length) },
      ];
      dropUnknownFields(copy, TYPED_DATA_FIELDS);
      substitutes.set(entry.tensor, copy);
    }
    for (const tensor of toInline) {
      const bytes = inlined.get(tensor);
      if (!bytes)
        throw new OnnxError(
          'EXTERNAL_DATA_MISSING',
          `Cannot inline external tensor "${tensor.name}": its bytes are missing from the map given to encode (read every tensor of plan.toInline first).`,
        );
      const copy = cloneMessage(tensor);
      copy.rawData = bytes;
      delete copy.dataLocation;
      copy.externalData = [];
      substitutes.set(tensor, copy);
    }
    const options = { substitute: (m: object) => substitutes.get(m) ?? m };
    return chunks ? encodeModelChunks(model, options) : encodeModel(model, options);
  }
  return { entries, toInline, fileLength: offset, encode: encode as ExternalDataPlan['encode'] };
}

/**
 * Reads the data of the plan's `toInline` tensors. @internal
 */
export async function readInlined(
  plan: ExternalDataPlan,
  source: ExternalDataSource | undefined,
): Promise<Map<TensorProto, Uint8Array>> {
  const inlined = new Map<TensorProto, Uint8Array>();
  for (const tensor of plan.toInline) inlined.set(tensor, await readTensorData(tensor, source));
  return inlined;
}

/**
 * Writes a model with its tensor data re-laid-out, in memory: all inline, or large initializers moved to one
 * external file at page-aligned offsets (pass `result.externalData` to onnxruntime's `externalData` option).
 * The model object is not changed.
 *
 * @param model - the model (its merged/changed tensors included)
 * @param options - the layout and where current external data is read from
 * @returns the `.onnx` bytes and the external files
 * @throws {OnnxError} `EXTERNAL_DATA_MISSING` when an external tensor cannot be read, `MODEL_TOO_LARGE` when
 *   inline data reaches 2 GiB
 * @example
 * ```ts
 * const { model: bytes, externalData } = await writeModel(model, {
 *   externalData: { location: 'model.onnx.data' },
 *   source,
 * });
 * const session = await ort.InferenceSession.create(bytes, { externalData });
 * ```
 */
export async function writeModel(model: ModelProto, options: WriteModelOptions): Promise<WrittenModel> {
  const plan = planExternalData(model, options.externalData);
  const bytes = plan.encode(await readInlined(plan, options.source));
  if (options.externalData === 'inline') return { model: bytes, externalData: [] };
  const file = new Uint8Array(plan.fileLength);
  for (const entry of plan.entries)
    file.set(await readTensorData(entry.tensor, options.source), entry.offset);
  return { model: bytes, externalData: [{ path: options.externalData.location, data: file }] };
}
