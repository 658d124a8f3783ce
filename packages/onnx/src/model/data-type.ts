import { OnnxError } from '../errors.js';
import { DataType } from './types.js';

/** Bits per element of each fixed-size data type (STRING and UNDEFINED have none). */
const BITS: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 32,
  [DataType.UINT8]: 8,
  [DataType.INT8]: 8,
  [DataType.UINT16]: 16,
  [DataType.INT16]: 16,
  [DataType.INT32]: 32,
  [DataType.INT64]: 64,
  [DataType.BOOL]: 8,
  [DataType.FLOAT16]: 16,
  [DataType.DOUBLE]: 64,
  [DataType.UINT32]: 32,
  [DataType.UINT64]: 64,
  [DataType.COMPLEX64]: 64,
  [DataType.COMPLEX128]: 128,
  [DataType.BFLOAT16]: 16,
  [DataType.FLOAT8E4M3FN]: 8,
  [DataType.FLOAT8E4M3FNUZ]: 8,
  [DataType.FLOAT8E5M2]: 8,
  [DataType.FLOAT8E5M2FNUZ]: 8,
  [DataType.UINT4]: 4,
  [DataType.INT4]: 4,
  [DataType.FLOAT4E2M1]: 4,
  [DataType.FLOAT8E8M0]: 8,
  [DataType.UINT2]: 2,
  [DataType.INT2]: 2,
  [DataType.FLOAT6E2M3]: 6,
  [DataType.FLOAT6E3M2]: 6,
};

const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(DataType).map(([name, code]) => [code, name]),
);

/**
 * The name of a data type code (`1` → `'FLOAT'`), or `'<code>'` for codes this version does not know.
 *
 * @param dataType - a `TensorProto.DataType` code
 * @returns its name
 */
export function dataTypeName(dataType: number): string {
  return NAMES.get(dataType) ?? `<${dataType}>`;
}

/**
 * Bits per element of a fixed-size data type, or `undefined` for STRING, UNDEFINED and unknown codes.
 *
 * @param dataType - a `TensorProto.DataType` code
 * @returns 2 to 128, or undefined
 */
export function dataTypeBits(dataType: number): number | undefined {
  return BITS[dataType];
}

/**
 * Number of elements of a tensor with these dims (1 for a scalar).
 *
 * @param dims - the dims
 * @returns their product
 * @throws {OnnxError} `TENSOR_SIZE_MISMATCH` for negative or non-integer dims
 */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new OnnxError(
        'TENSOR_SIZE_MISMATCH',
        `Invalid tensor dims [${dims.join(', ')}]: ${d} is not a size.`,
        {
          value: dims,
        },
      );
    }
    n *= d;
  }
  return n;
}

/**
 * Byte length of a tensor's data in `raw_data` layout (sub-byte types packed, rounded up to whole bytes).
 *
 * @param dataType - a `TensorProto.DataType` code
 * @param dims - the dims
 * @returns the byte length
 * @throws {OnnxError} `UNSUPPORTED_DATA_TYPE` for STRING and unknown types
 */
export function tensorByteLength(dataType: number, dims: readonly number[]): number {
  const bits = BITS[dataType];
  if (bits === undefined) {
    throw new OnnxError(
      'UNSUPPORTED_DATA_TYPE',
      `Cannot size a tensor of data type ${dataTypeName(dataType)}: it has no fixed element size.`,
      { value: dataType },
    );
  }
  return Math.ceil((elementCount(dims) * bits) / 8);
}
