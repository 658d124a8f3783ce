import {
  PickleDict,
  PickleTuple,
  type PickleValue,
  TorchGlobal,
  TorchStorage,
  TorchTensorRef,
} from './pickle-values.js';
import { dtypeGlobal, storageDtype } from './torch-dtypes.js';
import { TorchLoadError } from './torch-error.js';

const ALLOWED =
  'collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor, ' +
  'torch._utils._rebuild_parameter, torch.<X>Storage and torch.<dtype>';

function badPickle(message: string): never {
  throw new TorchLoadError('BAD_PICKLE', message);
}

/**
 * Maps a pickle GLOBAL to an inert {@link TorchGlobal} if it is on the allow-list; nothing is imported or called.
 *
 * @param module - the global's module, e.g. `torch._utils`
 * @param name - the global's name, e.g. `_rebuild_tensor_v2`
 * @throws {@link TorchLoadError} FORBIDDEN_GLOBAL naming `module.name` for anything else; UNSUPPORTED_DTYPE for a
 *   torch storage class without a safetensors dtype (complex, quantized, untyped)
 */
export function resolveGlobal(module: string, name: string): TorchGlobal {
  const qualified = `${module}.${name}`;
  if (module === 'collections' && name === 'OrderedDict') return new TorchGlobal('ordered-dict', qualified);
  if (module === 'torch._utils') {
    if (name === '_rebuild_tensor_v2') return new TorchGlobal('rebuild-tensor-v2', qualified);
    if (name === '_rebuild_tensor') return new TorchGlobal('rebuild-tensor', qualified);
    if (name === '_rebuild_parameter') return new TorchGlobal('rebuild-parameter', qualified);
  }
  if (module === 'torch') {
    const storage = storageDtype(name);
    if (storage === 'unsupported') {
      throw new TorchLoadError('UNSUPPORTED_DTYPE', `storage type ${qualified} has no safetensors dtype`);
    }
    if (storage !== undefined) return new TorchGlobal('storage', qualified, storage);
    const dtype = dtypeGlobal(name);
    if (dtype !== undefined) return new TorchGlobal('dtype', qualified, dtype);
  }
  throw new TorchLoadError(
    'FORBIDDEN_GLOBAL',
    `forbidden global '${qualified}' in the pickle: only ${ALLOWED} are allowed (nothing was executed)`,
  );
}

function nonNegativeInt(value: PickleValue | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TorchLoadError('BAD_TENSOR', `${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function intTuple(value: PickleValue | undefined, what: string): number[] {
  if (!(value instanceof PickleTuple)) {
    throw new TorchLoadError('BAD_TENSOR', `${what} must be a tuple of integers`);
  }
  return value.items.map((v, i) => nonNegativeInt(v, `${what}[${i}]`));
}

function rebuildTensor(args: readonly PickleValue[], callee: string): TorchTensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) badPickle(`${callee}: first argument is not a storage`);
  const shape = intTuple(size, `${callee} size`);
  const strides = intTuple(stride, `${callee} stride`);
  if (shape.length !== strides.length) {
    throw new TorchLoadError(
      'BAD_TENSOR',
      `${callee}: size has ${shape.length} dims but stride ${strides.length}`,
    );
  }
  return new TorchTensorRef(storage, nonNegativeInt(offset, `${callee} storage_offset`), shape, strides);
}

function checkGradArgs(
  requiresGrad: PickleValue | undefined,
  hooks: PickleValue | undefined,
  callee: string,
): void {
  if (typeof requiresGrad !== 'boolean') badPickle(`${callee}: requires_grad is not a bool`);
  if (!(hooks instanceof PickleDict)) badPickle(`${callee}: backward_hooks is not a dict`);
}

function orderedDict(args: readonly PickleValue[]): PickleDict {
  const dict = new PickleDict(true);
  if (args.length === 0) return dict;
  const [items] = args;
  if (args.length !== 1 || !(Array.isArray(items) || items instanceof PickleTuple)) {
    badPickle('collections.OrderedDict takes no argument or one sequence of pairs');
  }
  for (const pair of Array.isArray(items) ? items : items.items) {
    const kv = pair instanceof PickleTuple ? pair.items : Array.isArray(pair) ? pair : undefined;
    const key = kv?.[0];
    if (kv?.length !== 2 || !isKey(key)) badPickle('collections.OrderedDict item is not a (key, value) pair');
    dict.entries.set(key, kv[1] as PickleValue);
  }
  return dict;
}

/**
 * True if `v` can be a dict key here (Python's hashable primitives).
 * @param v - any value
 */
export function isKey(v: PickleValue | undefined): v is string | number | bigint | boolean | null {
  return v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v);
}

/**
 * Applies REDUCE (`callable(*args)`) for the allowed callables only, building inert data.
 *
 * @param callable - the value below the arguments on the stack
 * @param args - the argument tuple
 * @throws {@link TorchLoadError} FORBIDDEN_GLOBAL for an allowed global that is not callable here, BAD_PICKLE for a
 *   call on a non-global or with the wrong arguments, BAD_TENSOR for invalid tensor geometry
 */
export function applyReduce(callable: PickleValue, args: PickleValue): PickleValue {
  if (!(callable instanceof TorchGlobal)) badPickle('REDUCE on a value that is not a global');
  if (!(args instanceof PickleTuple))
    badPickle(`REDUCE on ${callable.qualifiedName} with non-tuple arguments`);
  const a = args.items;
  const callee = callable.qualifiedName;
  switch (callable.kind) {
    case 'ordered-dict':
      return orderedDict(a);
    case 'rebuild-tensor-v2': {
      if (a.length !== 6 && a.length !== 7) badPickle(`${callee} takes 6 or 7 arguments, got ${a.length}`);
      checkGradArgs(a[4], a[5], callee);
      const metadata = a[6];
      if (metadata !== undefined && metadata !== null && !(metadata instanceof PickleDict)) {
        badPickle(`${callee}: metadata is not a dict`);
      }
      return rebuildTensor(a, callee);
    }
    case 'rebuild-tensor':
      if (a.length !== 4) badPickle(`${callee} takes 4 arguments, got ${a.length}`);
      return rebuildTensor(a, callee);
    case 'rebuild-parameter': {
      if (a.length !== 3) badPickle(`${callee} takes 3 arguments, got ${a.length}`);
      const [data] = a;
      if (!(data instanceof TorchTensorRef)) badPickle(`${callee}: data is not a tensor`);
      checkGradArgs(a[1], a[2], callee);
      return data;
    }
    default:
      throw new TorchLoadError(
        'FORBIDDEN_GLOBAL',
        `global '${callee}' may not be called (REDUCE) in a checkpoint`,
      );
  }
}

/**
 * Turns a `('storage', storage_type, key, location, numel)` persistent id into a {@link TorchStorage}, sharing one
 * object per key so tensors that share a storage in torch share it here.
 *
 * @param pid - the persistent id popped by BINPERSID
 * @param storages - storages seen so far, by key
 * @throws {@link TorchLoadError} BAD_PICKLE for any other shape, or a key redeclared with another dtype or size
 */
export function persistentStorage(pid: PickleValue, storages: Map<string, TorchStorage>): TorchStorage {
  if (!(pid instanceof PickleTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
    badPickle("persistent id is not a ('storage', type, key, location, numel) tuple");
  }
  const [, type, key, location, numel] = pid.items;
  if (!(type instanceof TorchGlobal) || type.kind !== 'storage' || type.dtype === undefined) {
    badPickle('persistent id does not name a torch storage type');
  }
  if (typeof key !== 'string' || typeof location !== 'string')
    badPickle('persistent id key/location not strings');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    badPickle(`persistent id of storage '${key}' has an invalid numel ${String(numel)}`);
  }
  const seen = storages.get(key);
  if (seen) {
    if (seen.dtype !== type.dtype || seen.numel !== numel) {
      badPickle(`storage '${key}' is declared as ${seen.dtype}×${seen.numel} and as ${type.dtype}×${numel}`);
    }
    return seen;
  }
  const storage = new TorchStorage(key, type.dtype, numel, location);
  storages.set(key, storage);
  return storage;
}
