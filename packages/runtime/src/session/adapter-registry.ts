import type { Adapter } from '../adapter.js';
import { AdapterError } from '../errors.js';

/** What is active: the adapters in the order they were set, and whether adapters are enabled. @internal */
export interface ActiveState {
  /** Active adapter names (empty: none loaded). */
  readonly names: readonly string[];
  /** false after `disableAdapters()`. */
  readonly enabled: boolean;
}

/** One adapter of a session with what the session prepared for it. @internal */
export interface RegistryEntry<TPrepared> {
  readonly name: string;
  readonly adapter: Adapter;
  /** What the session's engine prepared (located targets, checked shapes). */
  readonly prepared: TPrepared;
}

const python = (names: readonly string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;

/** The `modules_to_save` modules an adapter replaces (`classifier` for `classifier.weight`). */
function savedModules(adapter: Adapter): Set<string> {
  const out = new Set<string>();
  for (const r of adapter.replacements) {
    if (r.reason === 'modules_to_save') out.add(r.name.slice(0, r.name.lastIndexOf('.')));
  }
  return out;
}

function biasOf(adapter: Adapter): string {
  const bias = (adapter.config as { bias?: unknown }).bias;
  return typeof bias === 'string' ? bias : 'none';
}

/**
 * The adapters of a session and which of them are active, with the checks and messages of transformers'
 * `PeftAdapterMixin` and PEFT (`peft-behaviour.md` §7, §8.4). Engines read it; it never touches a model.
 * @internal
 */
export class AdapterRegistry<TPrepared> {
  private readonly entries = new Map<string, RegistryEntry<TPrepared>>();
  private active: string[] = [];
  private enabled = true;

  /** Names of the loaded adapters, in load order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The loaded adapters, in load order. */
  list(): RegistryEntry<TPrepared>[] {
    return [...this.entries.values()];
  }

  /** Whether any adapter is loaded. */
  get size(): number {
    return this.entries.size;
  }

  /** The current state (a snapshot). */
  state(): ActiveState {
    return { names: [...this.active], enabled: this.enabled };
  }

  /**
   * An adapter by name.
   *
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, `UNKNOWN_ADAPTER`
   */
  get(name: string): RegistryEntry<TPrepared> {
    this.requireLoaded();
    const entry = this.entries.get(name);
    if (entry === undefined) {
      throw new AdapterError(
        'UNKNOWN_ADAPTER',
        `Adapter with name ${name} not found. Please pass the correct adapter name among ${python(this.names())}`,
      );
    }
    return entry;
  }

  /**
   * Checks that `adapter` may be added as `name` (a fresh name; at most one adapter with `bias != "none"`).
   *
   * @throws {AdapterError} `ADAPTER_EXISTS`, `INCOMPATIBLE_ADAPTERS`, `INVALID_ARGUMENT`
   */
  checkNew(name: string, adapter?: Adapter): void {
    if (typeof name !== 'string' || name === '') {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `an adapter name must be a non-empty string, got ${JSON.stringify(name)}`,
      );
    }
    if (this.entries.has(name)) {
      throw new AdapterError(
        'ADAPTER_EXISTS',
        `Adapter with name ${name} already exists. Please use a different name.`,
      );
    }
    if (adapter !== undefined && biasOf(adapter) !== 'none') {
      const other = this.list().find((e) => biasOf(e.adapter) !== 'none');
      if (other !== undefined) {
        throw new AdapterError(
          'INCOMPATIBLE_ADAPTERS',
          `cannot add adapter ${name} with bias="${biasOf(adapter)}": adapter ${other.name} already has ` +
            `bias="${biasOf(other.adapter)}"; PEFT supports only 1 adapter with bias. When using multiple adapters, ` +
            "set bias to 'none' for all adapters.",
        );
      }
    }
  }

  /** Adds a checked adapter; it becomes the only active one, as transformers' `load_adapter` / `add_adapter` do. */
  add(entry: RegistryEntry<TPrepared>): void {
    this.checkNew(entry.name, entry.adapter);
    this.entries.set(entry.name, entry);
    this.active = [entry.name];
  }

  /**
   * Sets the active adapters: one name, or several whose deltas are summed (PEFT's multi-adapter inference).
   *
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, `UNKNOWN_ADAPTER`, `INVALID_ARGUMENT` (empty list, a name twice),
   *   `INCOMPATIBLE_ADAPTERS` (different PEFT types; two modules_to_save copies of one module)
   */
  setActive(names: string | readonly string[]): void {
    this.requireLoaded();
    if (typeof names === 'string') {
      this.get(names);
      this.active = [names];
      return;
    }
    const missing = names.filter((n) => !this.entries.has(n));
    if (missing.length > 0) {
      throw new AdapterError(
        'UNKNOWN_ADAPTER',
        `Following adapter(s) could not be found: ${[...new Set(missing)].join(', ')}. Make sure you are passing ` +
          `the correct adapter name(s). current loaded adapters are: ${python(this.names())}`,
      );
    }
    if (names.length === 0) {
      throw new AdapterError('INVALID_ARGUMENT', 'Please specify at least one adapter to set');
    }
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) {
      throw new AdapterError(
        'INVALID_ARGUMENT',
        `adapter ${twice} is listed twice in ${python(names)}; each active adapter adds its delta once`,
      );
    }
    checkCombinable(names.map((n) => this.get(n)));
    this.active = [...names];
  }

  /** Enables (true) or disables (false) every adapter. @throws {AdapterError} `NO_ADAPTER_LOADED` */
  setEnabled(enabled: boolean): void {
    this.requireLoaded();
    this.enabled = enabled;
  }

  /** The active adapter names. @throws {AdapterError} `NO_ADAPTER_LOADED` */
  activeNames(): string[] {
    this.requireLoaded();
    return [...this.active];
  }

  /**
   * Deletes adapters; an active one is replaced as PEFT does (the remaining active ones, else the alphabetically
   * first remaining adapter).
   *
   * @returns the removed entries
   * @throws {AdapterError} `NO_ADAPTER_LOADED`, `UNKNOWN_ADAPTER` (listing every missing name; nothing is deleted)
   */
  delete(names: string | readonly string[]): RegistryEntry<TPrepared>[] {
    this.requireLoaded();
    const list = typeof names === 'string' ? [names] : [...new Set(names)];
    const missing = list.filter((n) => !this.entries.has(n));
    if (missing.length > 0) {
      throw new AdapterError(
        'UNKNOWN_ADAPTER',
        `The following adapter(s) are not present and cannot be deleted: ${missing.join(', ')}`,
      );
    }
    const removed: RegistryEntry<TPrepared>[] = [];
    for (const name of list) {
      removed.push(this.entries.get(name) as RegistryEntry<TPrepared>);
      this.entries.delete(name);
      if (!this.active.includes(name)) continue;
      this.active = this.active.filter((n) => n !== name);
      if (this.active.length === 0) {
        const first = this.names().sort()[0];
        this.active = first === undefined ? [] : [first];
      }
    }
    if (this.entries.size === 0) this.enabled = true;
    return removed;
  }

  /** Drops every adapter (`unload`, `mergeAndUnload`). @returns the removed entries */
  clear(): RegistryEntry<TPrepared>[] {
    const removed = this.list();
    this.entries.clear();
    this.active = [];
    this.enabled = true;
    return removed;
  }

  private requireLoaded(): void {
    if (this.entries.size === 0) {
      throw new AdapterError('NO_ADAPTER_LOADED', 'No adapter loaded. Please load an adapter first.');
    }
  }
}

/**
 * Checks that adapters may be active together: one PEFT type (PEFT: "Cannot combine adapters with different peft
 * types"), and at most one `modules_to_save` copy per module (PEFT's `check_set_adapter`).
 *
 * @throws {AdapterError} `INCOMPATIBLE_ADAPTERS`
 * @internal
 */
export function checkCombinable(entries: readonly RegistryEntry<unknown>[]): void {
  const first = entries[0];
  if (first === undefined) return;
  for (const e of entries) {
    if (e.adapter.peftType !== first.adapter.peftType) {
      throw new AdapterError(
        'INCOMPATIBLE_ADAPTERS',
        `Cannot combine adapters with different peft types. Found ${first.adapter.peftType} and ` +
          `${e.adapter.peftType} (adapters ${first.name} and ${e.name}).`,
      );
    }
  }
  const owner = new Map<string, string[]>();
  for (const e of entries) {
    for (const m of savedModules(e.adapter)) owner.set(m, [...(owner.get(m) ?? []), e.name]);
  }
  for (const [module, names] of owner) {
    if (names.length > 1) {
      throw new AdapterError(
        'INCOMPATIBLE_ADAPTERS',
        `Only one adapter can be set at a time for ${module} (modules_to_save), got ${names.length}: ` +
          `${python(names)}`,
        { module },
      );
    }
  }
}
