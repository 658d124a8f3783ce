/**
 * Stable codes of {@link AdapterError}, so callers (the CLI, the server) can branch on `error.code`.
 */
export type AdapterErrorCode =
  /** `adapter_config.json` is missing, not JSON, or fails PEFT's checks (the `ConfigError` is the `cause`). */
  | 'INVALID_CONFIG'
  /** A weights file is not valid safetensors / torch `.bin`, or an index file is malformed (`cause` says why). */
  | 'INVALID_FILE'
  /** A file the adapter or checkpoint needs is absent (no `adapter_model.*`, a shard named by the index, …). */
  | 'MISSING_FILE'
  /** The adapter's tensors are inconsistent: a lora_A without lora_B, ranks that disagree, a key PEFT never writes. */
  | 'BAD_ADAPTER'
  /** A valid PEFT feature peftjs cannot apply (a LoRA variant, grouped convolutions, a non-float base weight, …). */
  | 'UNSUPPORTED_FEATURE'
  /** A module the adapter changes has no weight in the base checkpoint (adapter for another architecture). */
  | 'TARGET_NOT_FOUND'
  /** An adapter tensor does not fit the base weight it targets (adapter for another base of the same family). */
  | 'SHAPE_MISMATCH'
  /** The base checkpoint is malformed: a tensor in two shards, an index naming a tensor its shard lacks. */
  | 'INVALID_CHECKPOINT'
  /** An argument is out of range (combination weights, density, an unknown combination type, …). */
  | 'INVALID_ARGUMENT'
  /** The output folder already holds the files a merge or save would write. */
  | 'OUTPUT_EXISTS'
  /** Reading or writing a file failed (`cause` is the system error). */
  | 'IO_ERROR'
  /** The operation was cancelled through its `AbortSignal`. */
  | 'ABORTED'
  /** A session has no adapter loaded (transformers: "No adapter loaded. Please load an adapter first."). */
  | 'NO_ADAPTER_LOADED'
  /** A session has no adapter of that name (set, delete, state dict). */
  | 'UNKNOWN_ADAPTER'
  /** A session already has an adapter of that name. */
  | 'ADAPTER_EXISTS'
  /** Adapters PEFT refuses to activate together (LoRA with IA3, two modules_to_save copies of one module). */
  | 'INCOMPATIBLE_ADAPTERS'
  /** The ONNX backend failed to load or run a model (`cause` is its error). */
  | 'BACKEND_FAILED'
  /** The session was closed. */
  | 'SESSION_CLOSED';

/** Options of {@link AdapterError}. */
export interface AdapterErrorOptions {
  /** The error that caused this one (a `ConfigError`, `SafetensorsError`, `KernelError`, a system error). */
  cause?: unknown;
  /** The module (dotted name in the base model) at fault, when there is one. */
  module?: string | undefined;
}

/**
 * The one error class of `@peftjs/runtime`: every failure to load, inspect, merge, combine or save an adapter.
 *
 * @example
 * ```ts
 * try { await mergeAdapter({ base, adapter, writer }); } catch (e) { if (isAdapterError(e)) console.log(e.code); }
 * ```
 */
export class AdapterError extends Error {
  /** Stable machine-readable code. */
  readonly code: AdapterErrorCode;
  /** The module at fault, when there is one. */
  readonly module: string | undefined;

  /**
   * @param code - stable code of the failure
   * @param message - what failed, why, and the offending value
   * @param options - `cause`, `module`
   */
  constructor(code: AdapterErrorCode, message: string, options: AdapterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdapterError';
    this.code = code;
    this.module = options.module;
  }
}

/**
 * Whether `value` is an {@link AdapterError}, also across realms (checks `name` and `code`).
 *
 * @param value - anything caught
 * @returns true for an AdapterError
 */
export function isAdapterError(value: unknown): value is AdapterError {
  return (
    value instanceof AdapterError ||
    (value instanceof Error &&
      value.name === 'AdapterError' &&
      typeof Reflect.get(value, 'code') === 'string')
  );
}

/** A message's text from anything thrown. @internal */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Re-throws `error` as an {@link AdapterError}: AdapterErrors pass through, others are wrapped with `code` and a
 * message that starts with `what`. @internal
 */
export function wrapError(error: unknown, code: AdapterErrorCode, what: string): AdapterError {
  if (isAdapterError(error)) return error;
  return new AdapterError(code, `${what}: ${messageOf(error)}`, { cause: error });
}

/** `[a, b, c]` for a shape. @internal */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
