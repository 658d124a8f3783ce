/**
 * Element types of the safetensors format, in the order of the Rust reference's `enum Dtype` (which is
 * increasing alignment order; the writer sorts tensors by descending position in this list).
 */
export const DTYPE_NAMES = [
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F8_E4M3FNUZ',
  'F8_E5M2FNUZ',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'C64',
  'F64',
  'I64',
  'U64',
] as const;

/** A safetensors dtype name, as written in the header's `"dtype"` field. */
export type Dtype = (typeof DTYPE_NAMES)[number];

/** A typed-array class whose elements hold one dtype's values exactly. */
export type TypedArrayConstructor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** A typed array of one of the {@link TypedArrayConstructor} classes. */
export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** What kind of values a dtype holds. */
export type DtypeKind = 'bool' | 'uint' | 'int' | 'float' | 'complex';

/** Facts about one dtype. */
export interface DtypeInfo {
  /** The dtype's name. */
  readonly name: Dtype;
  /** Bits per element: 4 and 6 for the packed sub-byte floats, else 8 to 64. */
  readonly bits: number;
  /** Position in the Rust `enum Dtype` (its sort key when writing). */
  readonly rank: number;
  /** What kind of values it holds. */
  readonly kind: DtypeKind;
  /**
   * Typed-array class that holds the values exactly, where JavaScript has one (BOOL → Uint8Array of 0/1).
   * Undefined for F16, BF16, the F8/F6/F4 floats and C64: read those as bytes or convert with `toFloat32`.
   */
  readonly array: TypedArrayConstructor | undefined;
}

const ARRAYS: Partial<Record<Dtype, TypedArrayConstructor>> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  I16: Int16Array,
  U16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
};

/** Bits per element, as in the Rust reference's `Dtype::bitsize`. */
const BITS: Record<Dtype, number> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

function kindOf(name: Dtype): DtypeKind {
  if (name === 'BOOL') return 'bool';
  if (name === 'C64') return 'complex';
  if (name.startsWith('U')) return 'uint';
  if (name.startsWith('I')) return 'int';
  return 'float';
}

/** Every dtype's bits, rank, kind and exact typed-array class. */
export const DTYPES: Readonly<Record<Dtype, DtypeInfo>> = Object.freeze(
  Object.fromEntries(
    DTYPE_NAMES.map((name, rank) => [
      name,
      Object.freeze({ name, bits: BITS[name], rank, kind: kindOf(name), array: ARRAYS[name] }),
    ]),
  ) as Record<Dtype, DtypeInfo>,
);

const DTYPE_SET: ReadonlySet<string> = new Set(DTYPE_NAMES);

/**
 * Whether `value` is a safetensors dtype name (case-sensitive, as the format requires).
 *
 * @param value - candidate name
 * @returns true for one of {@link DTYPE_NAMES}
 */
export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && DTYPE_SET.has(value);
}
