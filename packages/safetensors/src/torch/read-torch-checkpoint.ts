import { checkTensorBounds, gatherTensorBytes } from './gather-tensor-bytes.js';
import { describeValue, PickleDict, type PickleValue, TorchTensorRef } from './pickle-values.js';
import { dtypeByteSize, type TorchDtype } from './torch-dtypes.js';
import { TorchLoadError } from './torch-error.js';
import { unpickleTorch } from './unpickler.js';
import { readZipEntries } from './zip-reader.js';

/** One tensor of a torch checkpoint, laid out as in a safetensors file. */
export interface TorchTensor {
  /** safetensors dtype name. */
  readonly dtype: TorchDtype;
  /** Dimensions (empty for a scalar). */
  readonly shape: number[];
  /** Contiguous row-major little-endian bytes, a fresh copy owned by the caller. */
  readonly data: Uint8Array;
}

/** Options of {@link readTorchCheckpoint}. */
export interface ReadTorchCheckpointOptions {
  /** Check each ZIP entry's CRC-32 (default true). */
  readonly verifyCrc?: boolean;
  /**
   * Most bytes the rebuilt tensors may take together (default: 4 × the archive's size + 64 MiB). Only views that
   * overlap themselves (stride 0, as `expand` makes) or many views of one storage can come near it.
   */
  readonly maxOutputBytes?: number;
}

const PKL_MAGIC = [0x50, 0x4b, 0x03, 0x04];

function badCheckpoint(message: string): never {
  throw new TorchLoadError('BAD_CHECKPOINT', message);
}

/** The archive's folder: torch names every record `<folder>/<record>` after the first entry's folder. */
function archivePrefix(entries: Map<string, Uint8Array>): string {
  const first = entries.keys().next().value;
  const slash = first?.indexOf('/') ?? -1;
  if (first === undefined || slash <= 0) {
    throw new TorchLoadError('BAD_ZIP', `first archive entry '${first ?? ''}' is not inside a folder`);
  }
  return first.slice(0, slash + 1);
}

function tensorEntries(value: PickleValue | undefined): [string, TorchTensorRef][] | undefined {
  if (!(value instanceof PickleDict)) return undefined;
  const out: [string, TorchTensorRef][] = [];
  for (const [key, tensor] of value.entries) {
    if (typeof key !== 'string' || !(tensor instanceof TorchTensorRef)) return undefined;
    out.push([key, tensor]);
  }
  return out;
}

/** The dict of tensors: the top level itself, its `state_dict` entry, or its only dict-of-tensors entry. */
function selectTensorDict(root: PickleValue): [string, TorchTensorRef][] {
  if (!(root instanceof PickleDict))
    badCheckpoint(`checkpoint holds a ${describeValue(root)}, not a dict of tensors`);
  const direct = tensorEntries(root);
  if (direct) return direct;
  const stateDict = tensorEntries(root.entries.get('state_dict'));
  if (stateDict) return stateDict;
  const nested = [...root.entries.values()].map(tensorEntries).filter((e) => e !== undefined && e.length > 0);
  if (nested.length === 1 && nested[0]) return nested[0];
  const sample = [...root.entries].slice(0, 5).map(([k, v]) => `${String(k)}: ${describeValue(v)}`);
  return badCheckpoint(
    `checkpoint is a dict but not a dict of tensors (nor holds exactly one): {${sample.join(', ')}${
      root.entries.size > 5 ? ', …' : ''
    }}`,
  );
}

function readByteorder(entries: Map<string, Uint8Array>, prefix: string): boolean {
  const record = entries.get(`${prefix}byteorder`);
  if (record === undefined) return false; // torch < 2.1 wrote none; those files are little-endian in practice
  const order = new TextDecoder().decode(record).trim();
  if (order !== 'little' && order !== 'big') badCheckpoint(`byteorder record says '${order.slice(0, 20)}'`);
  return order === 'big';
}

/**
 * Reads a PyTorch checkpoint written by `torch.save` (the ZIP format, e.g. PEFT's `adapter_model.bin`) without
 * executing anything: a restricted unpickler accepts only the opcodes and globals torch writes for tensors.
 * Tensors come back contiguous and little-endian under safetensors dtype names, so `.bin` and `.safetensors`
 * files can be handled alike. A dict nested as `{"state_dict": {...}}` (or as the only dict of tensors in the
 * top-level dict) is unwrapped.
 *
 * @param bytes - the whole file
 * @param options - {@link ReadTorchCheckpointOptions}
 * @returns tensor name → tensor, in the checkpoint's order
 * @throws {@link TorchLoadError} with code BAD_ZIP / UNSUPPORTED_ZIP (archive), FORBIDDEN_GLOBAL /
 *   FORBIDDEN_OPCODE / BAD_PICKLE (pickle), MISSING_STORAGE / BAD_STORAGE / BAD_TENSOR / UNSUPPORTED_DTYPE
 *   (tensors), BAD_CHECKPOINT (not a dict of tensors) or LIMIT_EXCEEDED
 * @example
 * ```ts
 * const tensors = readTorchCheckpoint(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * const a = tensors.get('base_model.model.q_proj.lora_A.weight'); // { dtype: 'F32', shape: [8, 64], data }
 * ```
 */
export function readTorchCheckpoint(
  bytes: Uint8Array,
  options: ReadTorchCheckpointOptions = {},
): Map<string, TorchTensor> {
  if (bytes.length < 4 || PKL_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new TorchLoadError(
      'BAD_ZIP',
      'not a ZIP archive (no PK\\x03\\x04 at offset 0): only the torch.save format of torch ≥ 1.6 is supported',
    );
  }
  const entries = readZipEntries(
    bytes,
    options.verifyCrc === undefined ? {} : { verifyCrc: options.verifyCrc },
  );
  const prefix = archivePrefix(entries);
  const pickle = entries.get(`${prefix}data.pkl`);
  if (pickle === undefined) throw new TorchLoadError('BAD_ZIP', `archive has no '${prefix}data.pkl' record`);
  const bigEndian = readByteorder(entries, prefix);
  const tensors = selectTensorDict(unpickleTorch(pickle));

  const limit = options.maxOutputBytes ?? 4 * bytes.length + 64 * 1024 * 1024;
  const plan = tensors.map(([name, ref]) => {
    const { storage } = ref;
    const itemSize = dtypeByteSize(storage.dtype);
    const record = entries.get(`${prefix}data/${storage.key}`);
    if (record === undefined) {
      throw new TorchLoadError(
        'MISSING_STORAGE',
        `tensor '${name}' uses storage '${storage.key}', not in the archive`,
      );
    }
    if (record.length !== storage.numel * itemSize) {
      throw new TorchLoadError(
        'BAD_STORAGE',
        `storage '${storage.key}' has ${record.length} bytes, but ${storage.numel} ${storage.dtype} elements need ${
          storage.numel * itemSize
        }`,
      );
    }
    return { name, ref, record, itemSize, numel: checkTensorBounds(ref, `tensor '${name}'`) };
  });
  const total = plan.reduce((sum, p) => sum + p.numel * p.itemSize, 0);
  if (total > limit) {
    throw new TorchLoadError(
      'LIMIT_EXCEEDED',
      `tensors would take ${total} bytes, over the ${limit}-byte limit`,
    );
  }
  const out = new Map<string, TorchTensor>();
  for (const { name, ref, record, itemSize, numel } of plan) {
    const data = gatherTensorBytes(record, itemSize, ref, numel, bigEndian);
    out.set(name, { dtype: ref.storage.dtype, shape: [...ref.size], data });
  }
  return out;
}
