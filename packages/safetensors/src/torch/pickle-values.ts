import type { TorchDtype } from './torch-dtypes.js';

/** What the restricted unpickler can build: plain data plus inert descriptions of torch objects. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | TorchGlobal
  | TorchStorage
  | TorchTensorRef;

/** Hashable values usable as dict keys. */
export type PickleKey = string | number | bigint | boolean | null;

/** A Python tuple (immutable); lists are plain arrays. */
export class PickleTuple {
  /** @param items - the tuple's elements */
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict or `collections.OrderedDict`, keyed by primitive values. */
export class PickleDict {
  /** The items, in insertion order. */
  readonly entries = new Map<PickleKey, PickleValue>();
  /** The BUILD state of an OrderedDict (e.g. a state dict's `_metadata`), kept but never interpreted. */
  state: PickleValue | undefined;
  /** @param ordered - true for `collections.OrderedDict` */
  constructor(readonly ordered: boolean) {}
}

/** Which allowed global a {@link TorchGlobal} is. */
export type GlobalKind =
  | 'ordered-dict'
  | 'rebuild-tensor-v2'
  | 'rebuild-tensor'
  | 'rebuild-parameter'
  | 'storage'
  | 'dtype';

/** An allowed global, kept as a name: nothing is ever looked up or called. */
export class TorchGlobal {
  /**
   * @param kind - which allowed global
   * @param qualifiedName - `module.name`, for messages
   * @param dtype - the dtype of a storage class or dtype global
   */
  constructor(
    readonly kind: GlobalKind,
    readonly qualifiedName: string,
    readonly dtype?: TorchDtype,
  ) {}
}

/** A storage named by a persistent id: its bytes are the archive's `data/<key>` record. */
export class TorchStorage {
  /**
   * @param key - record key under `data/`
   * @param dtype - element type
   * @param numel - element count
   * @param location - device tag such as `cpu` or `cuda:0` (informational)
   */
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly numel: number,
    readonly location: string,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TorchTensorRef {
  /**
   * @param storage - the storage viewed
   * @param offset - first element's index in the storage
   * @param size - shape
   * @param stride - elements to step per dimension
   */
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/**
 * A short, non-recursive description of a value for error messages.
 * @param value - any unpickled value
 */
export function describeValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (value instanceof PickleTuple) return `tuple of ${value.items.length}`;
  if (value instanceof PickleDict)
    return `${value.ordered ? 'OrderedDict' : 'dict'} of ${value.entries.size}`;
  if (value instanceof TorchGlobal) return value.qualifiedName;
  if (value instanceof TorchStorage) return `storage '${value.key}'`;
  if (value instanceof TorchTensorRef) return 'tensor';
  if (typeof value === 'string')
    return `str ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
