import {
  bf16ToF32,
  type FloatBuffer,
  type FloatDtype,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  type Weight,
} from '@peftjs/kernels';
import { OnnxError } from '../errors.js';
import type { WeightLayout } from '../locate/types.js';
import { dataTypeName } from '../model/data-type.js';
import { alignedView } from '../model/tensor-data.js';
import { DataType, type TensorProto } from '../model/types.js';

const DTYPES: Readonly<Record<number, FloatDtype>> = {
  [DataType.FLOAT]: 'f32',
  [DataType.FLOAT16]: 'f16',
  [DataType.BFLOAT16]: 'bf16',
};

/**
 * The kernels dtype of a tensor that can be merged into.
 *
 * @throws {OnnxError} `UNSUPPORTED_DATA_TYPE` for anything but FLOAT, FLOAT16 and BFLOAT16 (quantized weights
 *   cannot be merged exactly)
 * @internal
 */
export function mergeDtype(tensor: TensorProto, what: string): FloatDtype {
  const dtype = DTYPES[tensor.dataType];
  if (!dtype) {
    throw new OnnxError(
      'UNSUPPORTED_DATA_TYPE',
      `Cannot merge into ${what} "${tensor.name}": it is ${dataTypeName(tensor.dataType)}; only FLOAT, FLOAT16 and BFLOAT16 weights can be merged.`,
      { value: tensor.dataType },
    );
  }
  return dtype;
}

/** A private, writable copy of a tensor's values in its own dtype (`Float32Array` or raw 16-bit bits). @internal */
export function writableCopy(bytes: Uint8Array, dtype: FloatDtype): Float32Array | Uint16Array {
  return dtype === 'f32'
    ? new Float32Array(alignedView(bytes, Float32Array))
    : new Uint16Array(alignedView(bytes, Uint16Array));
}

/** The bytes of a typed array (a view). @internal */
export function bytesOf(data: Float32Array | Uint16Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function toF32(buffer: FloatBuffer): Float32Array {
  if (buffer.dtype === 'f32') return buffer.data as Float32Array;
  return buffer.dtype === 'f16'
    ? f16ToF32(buffer.data as Uint16Array)
    : bf16ToF32(buffer.data as Uint16Array);
}

function storeF32(buffer: FloatBuffer, values: Float32Array): void {
  if (buffer.dtype === 'f32') return;
  const out = buffer.data as Uint16Array;
  if (buffer.dtype === 'f16') f32ToF16(values, { out });
  else f32ToBf16(values, { out });
}

/**
 * `buffer ← round(buffer + values)` (or `= values` with `replace`), computed in float32 and rounded once to
 * the buffer's dtype. `values` may be laid out transposed relative to a 2-D weight. @internal
 */
export function addValues(
  buffer: FloatBuffer,
  values: Float32Array,
  options: { replace?: boolean; transposed?: { rows: number; cols: number } } = {},
): void {
  const current = buffer.dtype === 'f32' ? (buffer.data as Float32Array) : toF32(buffer);
  const t = options.transposed;
  for (let k = 0; k < current.length; k++) {
    // element (i, j) of a [rows, cols] weight is element (j, i) of the [cols, rows] values
    const v = t ? (values[(k % t.cols) * t.rows + Math.floor(k / t.cols)] as number) : (values[k] as number);
    current[k] = options.replace ? v : Math.fround((current[k] as number) + v);
  }
  storeF32(buffer, current);
}

/**
 * Checks a values array against a weight's shape and says whether it must be read transposed.
 *
 * @throws {OnnxError} `INVALID_ARGUMENT` for a wrong length
 * @internal
 */
export function valuesLayout(
  weight: Weight,
  values: Float32Array,
  layout: WeightLayout,
  stored: WeightLayout,
  what: string,
): { rows: number; cols: number } | undefined {
  if (values.length !== weight.rows * weight.cols) {
    throw new OnnxError(
      'INVALID_ARGUMENT',
      `${what} has ${values.length} values; the weight [${weight.rows}, ${weight.cols}] needs ${weight.rows * weight.cols}.`,
      { value: values.length },
    );
  }
  return layout === stored ? undefined : { rows: weight.rows, cols: weight.cols };
}
