import { wrapError } from '../errors.js';
import type { Backend, BackendSession } from './backend.js';
import type { RunPlan, RunState, SessionEngine } from './engine.js';
import { mergeTargets } from './merge-targets.js';
import type { AdapterPlan } from './plan-adapter.js';
import type { BuiltModel, SessionModel } from './session-model.js';

/** Merged sessions kept by default: the current active set and the previous one (switching back is free). */
export const DEFAULT_SESSION_CACHE = 2;

interface CachedSession {
  readonly ids: ReadonlySet<number>;
  readonly session: Promise<BackendSession>;
  users: number;
  evicted: boolean;
}

/**
 * The adapter plans a state's merged model depends on: loaded adapters that changed base parameters, then the
 * active ones. @internal
 */
export function mergedPlans(state: RunState): { loaded: AdapterPlan[]; active: AdapterPlan[] } {
  const loaded = state.loaded
    .map((e) => e.prepared)
    .filter((p) => [...p.replacements, ...p.parameters].some((r) => r.scope === 'loaded'));
  return { loaded, active: state.active.map((e) => e.prepared) };
}

/**
 * Merges a state's adapters into the base model (PEFT's `merge_and_unload` on the ONNX weights).
 *
 * @param model - the base
 * @param state - loaded and active adapters
 * @returns the merged model
 * @internal
 */
export async function buildMergedModel(model: SessionModel, state: RunState): Promise<BuiltModel> {
  const { loaded, active } = mergedPlans(state);
  return model.build(await mergeTargets(loaded, active));
}

/**
 * Merged mode: the active adapters are baked into the weights and the model is loaded into the backend. A model is
 * built the first time its active set runs (only the targeted initializers are re-merged; every other tensor is
 * the base's) and kept in a small LRU cache of backend sessions, so switching back is free.
 * @internal
 */
export class MergedEngine implements SessionEngine {
  readonly mode = 'merged' as const;
  private readonly cache = new Map<string, CachedSession>();
  private readonly ids = new WeakMap<AdapterPlan, number>();
  private nextId = 1;

  constructor(
    private readonly model: SessionModel,
    private readonly backend: Backend,
    private readonly cacheSize: number = DEFAULT_SESSION_CACHE,
  ) {}

  async prepareRun(state: RunState): Promise<RunPlan> {
    const { loaded, active } = mergedPlans(state);
    const loadedIds = loaded.map((p) => this.idOf(p));
    const activeIds = active.map((p) => this.idOf(p));
    const key = `${loadedIds.join(',')}|${activeIds.join(',')}`;
    let entry = this.cache.get(key);
    if (entry === undefined) {
      entry = {
        ids: new Set([...loadedIds, ...activeIds]),
        session: this.createSession(state),
        users: 0,
        evicted: false,
      };
      this.cache.set(key, entry);
      entry.session.catch(() => {
        if (this.cache.get(key) === entry) this.cache.delete(key);
      });
    } else {
      // most recently used last
      this.cache.delete(key);
      this.cache.set(key, entry);
    }
    const used = entry;
    used.users++;
    await this.evict(Math.max(this.cacheSize, 1));
    let session: BackendSession;
    try {
      session = await used.session;
    } catch (error) {
      used.users--;
      throw error;
    }
    return {
      session,
      feeds: {},
      done: () => {
        used.users--;
        if (used.evicted && used.users === 0) void this.releaseEntry(used);
      },
    };
  }

  async forget(entries: readonly { prepared: AdapterPlan }[]): Promise<void> {
    const gone = new Set(entries.map((e) => this.ids.get(e.prepared)).filter((id) => id !== undefined));
    for (const [key, entry] of [...this.cache]) {
      if ([...entry.ids].some((id) => gone.has(id))) await this.drop(key, entry);
    }
  }

  async release(): Promise<void> {
    for (const [key, entry] of [...this.cache]) await this.drop(key, entry);
  }

  private async createSession(state: RunState): Promise<BackendSession> {
    const merged = await buildMergedModel(this.model, state);
    try {
      return await this.backend.createSession(merged.bytes, { externalData: merged.externalData });
    } catch (error) {
      throw wrapError(error, 'BACKEND_FAILED', `${this.backend.name} could not load the merged model`);
    }
  }

  private idOf(plan: AdapterPlan): number {
    let id = this.ids.get(plan);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(plan, id);
    }
    return id;
  }

  private async evict(keep: number): Promise<void> {
    while (this.cache.size > keep) {
      const [key, entry] = this.cache.entries().next().value as [string, CachedSession];
      await this.drop(key, entry);
    }
  }

  private async drop(key: string, entry: CachedSession): Promise<void> {
    this.cache.delete(key);
    entry.evicted = true;
    if (entry.users === 0) await this.releaseEntry(entry);
  }

  private async releaseEntry(entry: CachedSession): Promise<void> {
    const session = await entry.session.catch(() => undefined);
    await session?.release();
  }
}
