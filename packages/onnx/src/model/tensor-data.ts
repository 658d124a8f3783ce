import { bf16ToF32, f16ToF32 } from '@peftjs/kernels';
import { OnnxError } from '../errors.js';
import { dropUnknownFields, unknownFields } from '../proto/message.js';
import { splitPackedVarints, varintToBigUint, type WireField, WireType } from '../proto/wire.js';
import { dataTypeBits, dataTypeName, tensorByteLength } from './data-type.js';
import { type ExternalDataSource, getExternalDataInfo } from './external-data.js';
import { TYPED_DATA_FIELDS } from './schemas.js';
import { DataType, type TensorProto } from './types.js';

function sizeMismatch(tensor: TensorProto, got: number, want: number): OnnxError {
  return new OnnxError(
    'TENSOR_SIZE_MISMATCH',
    `Tensor "${tensor.name}" (${dataTypeName(tensor.dataType)} [${tensor.dims.join(', ')}]) has ${got} bytes of data; its dims call for ${want}.`,
    { value: got },
  );
}

function varints(entries: readonly WireField[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of entries) {
    if (e.wireType === WireType.LEN) out.push(...splitPackedVarints(e.value, 'TensorProto typed data'));
    else if (e.wireType === WireType.VARINT) out.push(e.value);
  }
  return out;
}

function fixed(entries: readonly WireField[], size: number): Uint8Array {
  const parts = entries
    .filter((e) => e.wireType === WireType.LEN || e.value.length === size)
    .map((e) => e.value);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Little-endian bytes of the typed data fields (float_data, int32_data, …), as raw_data would hold them. */
function typedData(tensor: TensorProto): Uint8Array | undefined {
  const fields = unknownFields(tensor, TYPED_DATA_FIELDS);
  if (fields.length === 0) return undefined;
  const of = (no: number) => fields.filter((f) => f.no === no);
  const type = tensor.dataType;
  if (type === DataType.FLOAT || type === DataType.COMPLEX64) return fixed(of(4), 4);
  if (type === DataType.DOUBLE || type === DataType.COMPLEX128) return fixed(of(10), 8);
  if (type === DataType.STRING) {
    throw new OnnxError(
      'UNSUPPORTED_DATA_TYPE',
      `Tensor "${tensor.name}" holds strings, which have no byte layout.`,
    );
  }
  const bits = dataTypeBits(type) ?? 0;
  const isInt64 = type === DataType.INT64;
  const isUint = type === DataType.UINT32 || type === DataType.UINT64;
  const values = varints(of(isInt64 ? 7 : isUint ? 11 : 5));
  // sub-byte types keep one packed byte per int32_data element
  const width = Math.max(1, bits / 8);
  const out = new Uint8Array(values.length * width);
  values.forEach((v, i) => {
    let n = varintToBigUint(v);
    for (let b = 0; b < width; b++) {
      out[i * width + b] = Number(n & 0xffn);
      n >>= 8n;
    }
  });
  return out;
}

/**
 * A tensor's data as little-endian bytes in `raw_data` layout, wherever it is stored: `raw_data` (a view,
 * not a copy), the typed arrays (`float_data`, `int32_data`, …), or an external file read through `source`.
 *
 * @param tensor - the tensor
 * @param source - where external data is read from (needed only for external tensors)
 * @returns the bytes; do not modify them (they may be a view of the model's or the file's buffer)
 * @throws {OnnxError} `EXTERNAL_DATA_MISSING` for an external tensor without a source,
 *   `TENSOR_SIZE_MISMATCH` when the data's length does not fit the dims, `UNSUPPORTED_DATA_TYPE` for strings
 */
export async function readTensorData(tensor: TensorProto, source?: ExternalDataSource): Promise<Uint8Array> {
  const want = tensorByteLength(tensor.dataType, tensor.dims);
  const external = getExternalDataInfo(tensor);
  let data: Uint8Array;
  if (external) {
    if (!source) {
      throw new OnnxError(
        'EXTERNAL_DATA_MISSING',
        `Tensor "${tensor.name}" is stored in "${external.location}", but no external data source was given.`,
        { value: external.location },
      );
    }
    if (external.length !== undefined && external.length !== want) {
      throw sizeMismatch(tensor, external.length, want);
    }
    data = await source.read(external.location, external.offset, want);
  } else {
    data = tensor.rawData ?? typedData(tensor) ?? new Uint8Array(0);
  }
  if (data.length !== want) throw sizeMismatch(tensor, data.length, want);
  return data;
}

/**
 * A tensor's data if it is stored inside the model (raw_data or typed arrays), without reading any file.
 *
 * @param tensor - the tensor
 * @returns the bytes, or undefined for an external tensor
 * @throws {OnnxError} `TENSOR_SIZE_MISMATCH` when the data's length does not fit the dims
 */
export function inlineTensorData(tensor: TensorProto): Uint8Array | undefined {
  if (getExternalDataInfo(tensor)) return undefined;
  const data = tensor.rawData ?? typedData(tensor) ?? new Uint8Array(0);
  const want = tensorByteLength(tensor.dataType, tensor.dims);
  if (data.length !== want) throw sizeMismatch(tensor, data.length, want);
  return data;
}

/**
 * Replaces a tensor's data with `bytes` stored inline as `raw_data`; its external reference and typed arrays
 * are removed. The bytes are kept, not copied.
 *
 * @param tensor - the tensor (changed)
 * @param bytes - little-endian data in `raw_data` layout, of the length the dims call for
 * @throws {OnnxError} `TENSOR_SIZE_MISMATCH` for a wrong length
 */
export function setTensorData(tensor: TensorProto, bytes: Uint8Array): void {
  const want = tensorByteLength(tensor.dataType, tensor.dims);
  if (bytes.length !== want) throw sizeMismatch(tensor, bytes.length, want);
  tensor.rawData = bytes;
  delete tensor.dataLocation;
  tensor.externalData = [];
  dropUnknownFields(tensor, TYPED_DATA_FIELDS);
}

/** Bytes viewed as an aligned typed array (a copy only when the view is misaligned). @internal */
export function alignedView<T>(
  bytes: Uint8Array,
  Ctor: {
    new (buffer: ArrayBufferLike, offset: number, length: number): T;
    readonly BYTES_PER_ELEMENT: number;
  },
): T {
  const size = Ctor.BYTES_PER_ELEMENT;
  const source = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return new Ctor(source.buffer, source.byteOffset, source.length / size);
}

/**
 * A float tensor's values as a new `Float32Array` (FLOAT copied, FLOAT16/BFLOAT16 widened exactly, DOUBLE
 * rounded).
 *
 * @param tensor - a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor
 * @param source - where external data is read from
 * @returns the values, row-major
 * @throws {OnnxError} `UNSUPPORTED_DATA_TYPE` for other types; see {@link readTensorData}
 */
export async function readTensorFloat32(
  tensor: TensorProto,
  source?: ExternalDataSource,
): Promise<Float32Array> {
  const bytes = await readTensorData(tensor, source);
  switch (tensor.dataType) {
    case DataType.FLOAT:
      return new Float32Array(alignedView(bytes, Float32Array));
    case DataType.FLOAT16:
      return f16ToF32(alignedView(bytes, Uint16Array));
    case DataType.BFLOAT16:
      return bf16ToF32(alignedView(bytes, Uint16Array));
    case DataType.DOUBLE:
      return Float32Array.from(alignedView(bytes, Float64Array));
    default:
      throw new OnnxError(
        'UNSUPPORTED_DATA_TYPE',
        `Tensor "${tensor.name}" is ${dataTypeName(tensor.dataType)}, not a float type.`,
        { value: tensor.dataType },
      );
  }
}
