/** The safetensors dtype names a torch checkpoint's tensors can have here (same spelling as safetensors). */
export type TorchDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const STORAGE_DTYPES: ReadonlyMap<string, TorchDtype> = new Map([
  ['DoubleStorage', 'F64'],
  ['FloatStorage', 'F32'],
  ['HalfStorage', 'F16'],
  ['BFloat16Storage', 'BF16'],
  ['LongStorage', 'I64'],
  ['IntStorage', 'I32'],
  ['ShortStorage', 'I16'],
  ['CharStorage', 'I8'],
  ['ByteStorage', 'U8'],
  ['BoolStorage', 'BOOL'],
]);

/** torch storage classes that exist but have no dtype here: named as UNSUPPORTED_DTYPE, not FORBIDDEN_GLOBAL. */
const UNSUPPORTED_STORAGES: ReadonlySet<string> = new Set([
  'ComplexFloatStorage',
  'ComplexDoubleStorage',
  'QInt8Storage',
  'QUInt8Storage',
  'QInt32Storage',
  'QUInt4x2Storage',
  'QUInt2x4Storage',
  'UntypedStorage',
]);

/** `torch.<name>` dtype globals, as `torch.dtype.__reduce__` spells them. */
const DTYPE_GLOBALS: ReadonlyMap<string, TorchDtype> = new Map([
  ['float64', 'F64'],
  ['float32', 'F32'],
  ['float16', 'F16'],
  ['bfloat16', 'BF16'],
  ['int64', 'I64'],
  ['int32', 'I32'],
  ['int16', 'I16'],
  ['int8', 'I8'],
  ['uint8', 'U8'],
  ['bool', 'BOOL'],
]);

const SIZES: Readonly<Record<TorchDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * The dtype of a `torch.<name>` storage class, `'unsupported'` for a known storage class without one, else undefined.
 * @param name - class name, e.g. `FloatStorage`
 */
export function storageDtype(name: string): TorchDtype | 'unsupported' | undefined {
  return STORAGE_DTYPES.get(name) ?? (UNSUPPORTED_STORAGES.has(name) ? 'unsupported' : undefined);
}

/**
 * The dtype named by a `torch.<name>` dtype global such as `torch.float32`, else undefined.
 * @param name - attribute name, e.g. `float32`
 */
export function dtypeGlobal(name: string): TorchDtype | undefined {
  return DTYPE_GLOBALS.get(name);
}

/**
 * Bytes per element of a dtype.
 * @param dtype - a {@link TorchDtype}
 */
export function dtypeByteSize(dtype: TorchDtype): number {
  return SIZES[dtype];
}
