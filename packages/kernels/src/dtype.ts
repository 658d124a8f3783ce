import { KernelError } from './errors.js';

/**
 * Floating-point dtypes a weight can be merged in: `'f32'` (a `Float32Array`), `'f16'` (IEEE half) and `'bf16'`
 * (bfloat16), the last two as raw bits in a `Uint16Array`.
 */
export type FloatDtype = 'f32' | 'f16' | 'bf16';

/** Storage of a {@link FloatDtype}: `Float32Array` for `'f32'`, `Uint16Array` of raw bits for `'f16'`/`'bf16'`. */
export type FloatArray = Float32Array | Uint16Array;

/** A flat buffer of one {@link FloatDtype} (e.g. a bias vector). */
export interface FloatBuffer {
  /** The values: `Float32Array` for `'f32'`, `Uint16Array` (raw bits) for `'f16'` and `'bf16'`. */
  readonly data: FloatArray;
  /** How `data` is encoded. */
  readonly dtype: FloatDtype;
}

/**
 * A row-major 2-D weight `[rows, cols]`: element `(i, j)` is `data[i * cols + j]`. An `nn.Linear` weight is
 * `[out, in]`, a GPT-2 `Conv1D` weight `[in, out]`, an `nn.Embedding` weight `[num_embeddings, embedding_dim]`.
 */
export interface Weight extends FloatBuffer {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
}

/** The float dtypes, in the order of their numeric codes inside the WebAssembly module. */
export const FLOAT_DTYPES: readonly FloatDtype[] = ['f32', 'f16', 'bf16'];

/**
 * Whether `value` names a {@link FloatDtype}.
 *
 * @param value - anything
 * @returns true for `'f32'`, `'f16'` and `'bf16'`
 */
export function isFloatDtype(value: unknown): value is FloatDtype {
  return value === 'f32' || value === 'f16' || value === 'bf16';
}

/** Throws unless `dtype` is a FloatDtype and `data` is the typed array it needs. @internal */
export function checkBuffer(what: string, buffer: FloatBuffer, length?: number): void {
  const { data, dtype } = buffer;
  if (!isFloatDtype(dtype)) {
    throw new KernelError(
      'UNSUPPORTED_DTYPE',
      `${what}: dtype must be 'f32', 'f16' or 'bf16'; got ${JSON.stringify(dtype)}`,
    );
  }
  const wanted = dtype === 'f32' ? Float32Array : Uint16Array;
  if (!(data instanceof wanted)) {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `${what}: dtype '${dtype}' needs a ${wanted.name}; got ${describe(data)}`,
    );
  }
  if (length !== undefined && data.length !== length) {
    throw new KernelError('SHAPE_MISMATCH', `${what}: expected ${length} values; got ${data.length}`);
  }
}

/** Throws unless `value` is a non-negative safe integer. @internal */
export function checkSize(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new KernelError('INVALID_ARGUMENT', `${what} must be a non-negative integer; got ${String(value)}`);
  }
}

/** Throws unless `weight` is a well-formed {@link Weight} with the given shape (when given). @internal */
export function checkWeight(what: string, weight: Weight, rows?: number, cols?: number): void {
  checkSize(`${what}.rows`, weight.rows);
  checkSize(`${what}.cols`, weight.cols);
  if ((rows !== undefined && weight.rows !== rows) || (cols !== undefined && weight.cols !== cols)) {
    throw new KernelError(
      'SHAPE_MISMATCH',
      `${what}: expected shape [${rows ?? weight.rows}, ${cols ?? weight.cols}]; got [${weight.rows}, ${weight.cols}]`,
    );
  }
  checkBuffer(what, weight, weight.rows * weight.cols);
}

/** Throws unless `data` is a Float32Array of `length` values. @internal */
export function checkF32(what: string, data: Float32Array, length: number): void {
  if (!(data instanceof Float32Array)) {
    throw new KernelError('INVALID_ARGUMENT', `${what} must be a Float32Array; got ${describe(data)}`);
  }
  if (data.length !== length) {
    throw new KernelError('SHAPE_MISMATCH', `${what}: expected ${length} values; got ${data.length}`);
  }
}

/** Throws unless `value` is a finite number. @internal */
export function checkFinite(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new KernelError('INVALID_ARGUMENT', `${what} must be a finite number; got ${String(value)}`);
  }
}

/** A short description of a value for error messages. @internal */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as { length?: number }).length})`;
  return typeof value;
}
