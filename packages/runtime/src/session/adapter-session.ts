import type { Adapter } from '../adapter.js';
import type { AdapterTensor } from '../adapter-tensor.js';
import type { BaseCheckpoint } from '../base-checkpoint.js';
import { AdapterError, wrapError } from '../errors.js';
import type { FileAccess } from '../file-access.js';
import { openAdapter } from '../open-adapter.js';
import { AdapterRegistry, type RegistryEntry } from './adapter-registry.js';
import { adapterStateDict } from './adapter-state-dict.js';
import type { Backend, BackendTensor, TensorMap } from './backend.js';
import type { RunState, SessionEngine, SessionMode } from './engine.js';
import { createEngine } from './engine-factory.js';
import { buildMergedModel } from './merged-engine.js';
import type { AdapterPlan } from './plan-adapter.js';
import { type InputMetadata, inputMetadataOf, inputNamesOf, normalizeFeeds } from './run-feeds.js';
import { type KnownWeight, type OnnxModelBytes, SessionModel } from './session-model.js';

/** Options of {@link AdapterSession.create}. */
export interface AdapterSessionOptions {
  /** Runs the models (`onnxruntimeNodeBackend()` from `@peftjs/runtime-node`, or onnxruntime-web's). */
  readonly backend: Backend;
  /** The base ONNX model, or a function that loads it. */
  readonly model: OnnxModelBytes | (() => Promise<OnnxModelBytes>);
  /** The base model's checkpoint: lets anonymous ONNX weights be found by value. */
  readonly base?: BaseCheckpoint;
  /** `'merged'` (default) or `'dynamic'`. */
  readonly mode?: SessionMode;
  /** Opens an adapter folder by name, for `loadAdapter('<folder>')` (runtime-node passes its `nodeFiles`). */
  readonly files?: (location: string) => FileAccess;
  /** Close `base` when the session closes. @defaultValue false */
  readonly closeBase?: boolean;
  /** Merged mode: backend sessions kept for recently used active sets (at least 1). @defaultValue 2 */
  readonly cacheSize?: number;
}

/** Options of {@link AdapterSession.run}. */
export interface RunOptions {
  /**
   * The adapter of each batch row (PEFT's `adapter_names=[...]`), `"__base__"` for the base model; one name per row
   * of the feeds. Ignored when adapters are disabled (every row gets the base model). Merged mode takes one name
   * for every row (a run with that adapter, the active ones unchanged); different names per row need dynamic mode.
   */
  readonly adapterNames?: readonly string[];
}

/** The name PEFT's `adapter_names` uses for rows that run the base model. */
export const BASE_ADAPTER_NAME = '__base__';

/**
 * Runs PEFT adapters on an ONNX model with transformers' `PeftAdapterMixin` API (and PEFT's `merge_and_unload` /
 * `unload`): load several adapters, switch or combine them, disable them, run. The backend and file access are
 * injected, so the same class serves Node and the browser.
 *
 * @example
 * ```ts
 * const session = await AdapterSession.create({ backend, model: { bytes, externalData: [] } });
 * await session.loadAdapter(adapterFiles, 'fr');
 * const { logits } = await session.run({ input_ids, attention_mask });
 * session.disableAdapters(); // base outputs
 * ```
 */
export class AdapterSession {
  /** The mode the session runs in. */
  readonly mode: SessionMode;
  /** The backend runs go through (make feeds with `backend.tensor(type, data, dims)`). */
  readonly backend: Backend;
  private readonly options: AdapterSessionOptions;
  private readonly registry = new AdapterRegistry<AdapterPlan>();
  private readonly owned = new Set<Adapter>();
  private model: SessionModel;
  /** The model's input names, computed once per model (every run checks its feeds against them). */
  private inputs: readonly string[] | undefined;
  private engine: SessionEngine;
  private closed = false;

  private constructor(options: AdapterSessionOptions, model: SessionModel, mode: SessionMode) {
    this.options = options;
    this.backend = options.backend;
    this.mode = mode;
    this.model = model;
    this.engine = createEngine(mode, model, options.backend, options.cacheSize);
  }

  /**
   * Opens a session on a base model; no backend session is created until the first run.
   *
   * @param options - backend, model, base checkpoint, mode
   * @returns the session; `close()` it when done
   * @throws {AdapterError} `INVALID_FILE` / `MISSING_FILE` for a bad model, `INVALID_ARGUMENT` for bad options
   */
  static async create(options: AdapterSessionOptions): Promise<AdapterSession> {
    const mode = options.mode ?? 'merged';
    if (mode !== 'merged' && mode !== 'dynamic') {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `mode must be 'merged' or 'dynamic', got ${JSON.stringify(mode)}`,
      );
    }
    const { cacheSize } = options;
    if (cacheSize !== undefined && !(Number.isSafeInteger(cacheSize) && cacheSize >= 1)) {
      throw new AdapterError('INVALID_ARGUMENT', `cacheSize must be an integer >= 1, got ${cacheSize}`);
    }
    let input: OnnxModelBytes;
    try {
      input = typeof options.model === 'function' ? await options.model() : options.model;
    } catch (error) {
      throw wrapError(error, 'IO_ERROR', 'loading the ONNX model failed');
    }
    return new AdapterSession(options, SessionModel.open(input, options.base), mode);
  }

  /** The inputs `run` needs (the base model's graph inputs). */
  get inputNames(): string[] {
    this.inputs ??= inputNamesOf(this.model.proto);
    return [...this.inputs];
  }

  /** Element type and shape of each input `run` needs, as the graph declares them. */
  get inputMetadata(): InputMetadata[] {
    return inputMetadataOf(this.model.proto);
  }

  /** The outputs `run` returns (the base model's graph outputs). */
  get outputNames(): string[] {
    return this.model.proto.graph.output.map((o) => o.name);
  }

  /** Names of the loaded adapters, in load order (PEFT's `peft_config` keys). */
  get adapterNames(): string[] {
    return this.registry.names();
  }

  /**
   * Loads a PEFT adapter folder (`adapter_config.json` + weights) under `name`; it becomes the only active adapter
   * (transformers' `load_adapter`).
   *
   * @param source - the folder: a {@link FileAccess}, or a location the session's `files` option opens
   * @param name - the adapter's name @defaultValue 'default'
   * @throws {AdapterError} `ADAPTER_EXISTS`, the loading errors of `openAdapter`, and those of {@link addAdapter}
   */
  async loadAdapter(source: FileAccess | string, name = 'default'): Promise<void> {
    this.checkOpen();
    this.registry.checkNew(name, undefined);
    let files: FileAccess;
    if (typeof source === 'string') {
      if (this.options.files === undefined) {
        throw new AdapterError(
          'INVALID_ARGUMENT',
          `cannot open adapter folder ${source}: the session has no \`files\``,
        );
      }
      files = this.options.files(source);
    } else files = source;
    const adapter = await openAdapter(files);
    try {
      await this.addAdapter(adapter, name);
    } catch (error) {
      await adapter.close().catch(() => undefined);
      throw error;
    }
    this.owned.add(adapter);
  }

  /**
   * Adds an adapter object (e.g. one built with `Adapter.create` from a config and tensors, or `combineAdapters`)
   * under `name`; it becomes the only active adapter. Its targets are located and checked now.
   *
   * @param adapter - the adapter (the caller keeps ownership: the session does not close it)
   * @param name - the adapter's name @defaultValue 'default'
   * @throws {AdapterError} `ADAPTER_EXISTS`, `INCOMPATIBLE_ADAPTERS` (a second adapter with a bias), `TARGET_NOT_FOUND`
   *   and `SHAPE_MISMATCH` (an adapter for another base), `UNSUPPORTED_FEATURE`
   */
  async addAdapter(adapter: Adapter, name = 'default'): Promise<void> {
    this.checkOpen();
    this.registry.checkNew(name, adapter);
    const prepared = await this.model.plan(adapter);
    this.registry.add({ name, adapter, prepared });
  }

  /**
   * Sets the active adapter(s); several are combined as PEFT does (their deltas are summed).
   *
   * @param names - one name or a list
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, `UNKNOWN_ADAPTER`, `INCOMPATIBLE_ADAPTERS`, `INVALID_ARGUMENT`
   */
  setAdapter(names: string | readonly string[]): void {
    this.checkOpen();
    this.registry.setActive(names);
  }

  /** Enables the adapters again. @throws {AdapterError} `NO_ADAPTER_LOADED` */
  enableAdapters(): void {
    this.checkOpen();
    this.registry.setEnabled(true);
  }

  /** Disables every adapter: runs give the base model's outputs. @throws {AdapterError} `NO_ADAPTER_LOADED` */
  disableAdapters(): void {
    this.checkOpen();
    this.registry.setEnabled(false);
  }

  /** Whether adapters are enabled (true unless `disableAdapters()` was called). */
  get adaptersEnabled(): boolean {
    return this.registry.state().enabled;
  }

  /** The active adapters' names, in the order set. @throws {AdapterError} `NO_ADAPTER_LOADED` */
  activeAdapters(): string[] {
    return this.registry.activeNames();
  }

  /**
   * Deletes adapters; when an active one goes, the remaining active ones (else the alphabetically first adapter)
   * become active, as in PEFT.
   *
   * @param names - one name or a list (`[]` does nothing)
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, `UNKNOWN_ADAPTER` (nothing is deleted)
   */
  async deleteAdapter(names: string | readonly string[]): Promise<void> {
    this.checkOpen();
    if (Array.isArray(names) && names.length === 0 && this.registry.size > 0) return;
    await this.dispose(this.registry.delete(names));
  }

  /**
   * A loaded adapter: its config (PEFT's `peft_config[name]`), layers and tensors.
   *
   * @param name - the adapter
   * @returns the adapter
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, `UNKNOWN_ADAPTER`
   */
  getAdapter(name: string): Adapter {
    return this.registry.get(name).adapter;
  }

  /**
   * An adapter's weights under the keys PEFT saved them, without `base_model.model.` (transformers'
   * `get_adapter_state_dict`).
   *
   * @param name - the adapter @defaultValue the first active adapter
   * @returns key → tensor (read lazily: `await tensor.float32()`)
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, `UNKNOWN_ADAPTER`
   */
  getAdapterStateDict(name?: string): Map<string, AdapterTensor> {
    const key = name ?? (this.registry.activeNames()[0] as string);
    return adapterStateDict(this.registry.get(key).adapter);
  }

  /**
   * Merges the active adapters into the model and drops every adapter (PEFT's `merge_and_unload()`): the session
   * then runs the merged model as its base.
   *
   * @returns the merged model (bytes and external data files)
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, merge failures
   */
  async mergeAndUnload(): Promise<OnnxModelBytes> {
    this.checkOpen();
    if (this.registry.size === 0) {
      throw new AdapterError('NO_ADAPTER_LOADED', 'No adapter loaded. Please load an adapter first.');
    }
    const state = this.runState(true);
    const { known, ...merged } = await buildMergedModel(this.model, state);
    await this.replaceBase(merged, known);
    return merged;
  }

  /**
   * Drops every adapter and returns to the base model (PEFT's `unload()`).
   *
   * @returns the base model
   */
  async unload(): Promise<OnnxModelBytes> {
    this.checkOpen();
    await this.dispose(this.registry.clear());
    return this.model.input;
  }

  /**
   * Runs the model with the active adapters (the base model when disabled or none is loaded).
   *
   * @param feeds - one tensor per input name (`{ type, data, dims }`, e.g. `backend.tensor('int64', ids, [1, n])`)
   * @param options - `adapterNames`, one adapter per batch row (`"__base__"`: none; merged mode: the same for every
   *   row, run without changing the active adapters)
   * @returns every output by name
   * @throws {AdapterError} `INVALID_ARGUMENT` (missing or unknown inputs; `adapterNames` not one per row, or
   *   different per row in merged mode), `UNKNOWN_ADAPTER`, `BACKEND_FAILED`, `SESSION_CLOSED`
   * @example
   * ```ts
   * const { logits } = await session.run(feeds, { adapterNames: ['fr', '__base__', 'de'] }); // dynamic mode
   * ```
   */
  async run(feeds: Readonly<Record<string, BackendTensor>>, options: RunOptions = {}): Promise<TensorMap> {
    this.checkOpen();
    this.inputs ??= inputNamesOf(this.model.proto);
    const inputs = normalizeFeeds(feeds, this.inputs, this.backend);
    const state = this.runState(false);
    const batchSize = batchSizeOf(inputs, this.inputs);
    if (options.adapterNames !== undefined) {
      const rows = this.perRow(options.adapterNames, batchSize, state.active.length > 0);
      if (this.mode === 'dynamic') state.perRow = rows;
      else state.active = sameForEveryRow(rows, options.adapterNames);
    }
    const plan = await this.engine.prepareRun(state, batchSize);
    try {
      // Object.assign, not a spread: spreading dozens of adapter feeds into a literal costs tens of µs per run
      return await plan.session.run(Object.assign(inputs, plan.feeds));
    } finally {
      plan.done();
    }
  }

  /**
   * Releases the backend sessions and the adapters the session loaded (and `base` with `closeBase`); safe to call
   * twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.engine.release();
    await this.dispose(this.registry.clear());
    if (this.options.closeBase === true) await this.options.base?.close();
  }

  private perRow(
    names: readonly string[],
    batchSize: number,
    enabled: boolean,
  ): RegistryEntry<AdapterPlan>[][] {
    if (!Array.isArray(names) || names.length !== batchSize) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `adapterNames must name one adapter per batch row (${batchSize}), got ${JSON.stringify(names)}`,
      );
    }
    const rows = names.map((n) => (n === BASE_ADAPTER_NAME ? [] : [this.registry.get(n)]));
    // PEFT: disabled adapters win over adapter_names
    return enabled ? rows : rows.map(() => []);
  }

  private runState(ignoreDisabled: boolean): { -readonly [K in keyof RunState]: RunState[K] } {
    const { names, enabled } = this.registry.state();
    const loaded = this.registry.list();
    const active = enabled || ignoreDisabled ? names.map((n) => this.registry.get(n)) : [];
    return { loaded, active };
  }

  private async replaceBase(merged: OnnxModelBytes, known: ReadonlyMap<string, KnownWeight>): Promise<void> {
    const removed = this.registry.clear();
    await this.engine.release();
    this.model = SessionModel.open(merged, this.options.base, known);
    this.inputs = undefined;
    this.engine = createEngine(this.mode, this.model, this.backend, this.options.cacheSize);
    await this.dispose(removed, false);
  }

  private async dispose(removed: readonly RegistryEntry<AdapterPlan>[], forget = true): Promise<void> {
    if (forget) await this.engine.forget(removed);
    for (const { adapter } of removed) {
      if (this.owned.delete(adapter)) await adapter.close().catch(() => undefined);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new AdapterError('SESSION_CLOSED', 'the adapter session was closed');
  }
}

/** Merged mode runs one adapter set per run: the rows' common set, or an error when rows differ. */
function sameForEveryRow(
  rows: readonly RegistryEntry<AdapterPlan>[][],
  names: readonly string[],
): RegistryEntry<AdapterPlan>[] {
  const first = rows[0] ?? [];
  if (rows.some((r) => r.length !== first.length || r[0] !== first[0])) {
    throw new AdapterError(
      'INVALID_ARGUMENT',
      `adapterNames with different adapters per row (${[...new Set(names)].join(', ')}) need mode 'dynamic'; this session runs in mode 'merged' (one adapter set per run)`,
    );
  }
  return first;
}

/** Rows of a run: the first dimension of `input_ids`, else of the first input that has one (1 for scalars). */
function batchSizeOf(inputs: TensorMap, names: readonly string[]): number {
  const first = inputs.input_ids ?? names.map((n) => inputs[n]).find((t) => (t?.dims.length ?? 0) > 0);
  return first?.dims[0] ?? 1;
}
