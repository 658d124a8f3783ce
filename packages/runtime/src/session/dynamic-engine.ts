import {
  type AdapterRows,
  decodeModel,
  encodeModel,
  externalDataFromFiles,
  type InjectedAdapterBranches,
  injectAdapterBranches,
} from '@peftjs/onnx';
import type { Adapter } from '../adapter.js';
import { type AdapterSelection, buildAdapterFeeds } from '../dynamic/build-adapter-feeds.js';
import { dynamicTargets } from '../dynamic/dynamic-targets.js';
import { wrapError } from '../errors.js';
import type { RegistryEntry } from './adapter-registry.js';
import type { Backend, BackendSession, TensorMap } from './backend.js';
import type { RunPlan, RunState, SessionEngine } from './engine.js';
import { mergeTargets } from './merge-targets.js';
import { mergedPlans } from './merged-engine.js';
import type { AdapterPlan } from './plan-adapter.js';
import type { SessionModel } from './session-model.js';

/** A backend session of one rewrite and the branches its graph reads. */
type Variant = Promise<{ session: BackendSession; injected: InjectedAdapterBranches | undefined }>;

/**
 * One loaded set: its rewrites, built on first use — the uniform one for runs with one adapter set, the per-row
 * one for runs with `adapterNames` — each with its own backend session.
 */
interface Loaded {
  readonly plans: ReadonlySet<AdapterPlan>;
  readonly key: readonly AdapterPlan[];
  readonly loaded: readonly RegistryEntry<AdapterPlan>[];
  readonly variants: Map<AdapterRows, Variant>;
  /**
   * The uniform variant's feeds of the {@link FEED_SETS} most recently used active sets, least recent first (they
   * do not depend on the batch size; switching back to one costs nothing).
   */
  readonly uniformFeeds: { readonly active: readonly AdapterPlan[]; readonly feeds: Promise<TensorMap> }[];
  users: number;
  evicted: boolean;
}

const sameList = (a: readonly AdapterPlan[], b: readonly AdapterPlan[]) =>
  a.length === b.length && a.every((p, i) => p === b[i]);

/**
 * Dynamic mode: the graph is rewritten once for every loaded adapter (`injectAdapterBranches` over
 * `dynamicTargets`), loaded into the backend once, and each run feeds the active adapters' tensors (or one adapter
 * set per row). Two rewrites are kept, each built on first use: the uniform one (minimal branches, one adapter set
 * for the batch) and the per-row one (slot masks, for `adapterNames`). Switching, enabling and disabling only change the feeds; loading or deleting an adapter rebuilds the
 * model.
 * @internal
 */
/** Active sets whose feeds a dynamic session keeps ready (each holds its adapters' A/B tensors once more). */
export const FEED_SETS = 4;

export class DynamicEngine implements SessionEngine {
  readonly mode = 'dynamic' as const;
  private current: Loaded | undefined;

  constructor(
    private readonly model: SessionModel,
    private readonly backend: Backend,
  ) {}

  async prepareRun(state: RunState, batchSize: number): Promise<RunPlan> {
    const key = state.loaded.map((e) => e.prepared);
    let entry = this.current;
    let old: Loaded | undefined;
    if (entry === undefined || !sameList(entry.key, key)) {
      old = entry;
      // replaced synchronously, so concurrent runs of the same loaded set share one build
      entry = {
        plans: new Set(key),
        key,
        loaded: state.loaded,
        variants: new Map(),
        users: 0,
        evicted: false,
        uniformFeeds: [],
      };
      this.current = entry;
    }
    const used = entry;
    // the per-row rewrite only for runs that pick adapters per row; with no adapters both are the base model
    const rows: AdapterRows = state.perRow !== undefined && used.loaded.length > 0 ? 'per-row' : 'uniform';
    let ready = used.variants.get(rows);
    if (ready === undefined) {
      // set synchronously, so concurrent runs of the same variant share one build
      const created = this.createSession(used.loaded, rows);
      ready = created;
      used.variants.set(rows, created);
      created.catch(() => {
        if (used.variants.get(rows) === created) used.variants.delete(rows);
      });
    }
    used.users++;
    const done = () => {
      used.users--;
      if (used.evicted && used.users === 0) void this.releaseEntry(used);
    };
    try {
      if (old !== undefined) await this.drop(old);
      const { session, injected } = await ready;
      if (injected !== undefined && rows === 'uniform') {
        const active = state.active.map((e) => e.prepared);
        const list = used.uniformFeeds;
        const at = list.findIndex((c) => sameList(c.active, active));
        let cached = at >= 0 ? list.splice(at, 1)[0] : undefined;
        if (cached === undefined) {
          const made = this.buildFeeds(injected, { adapters: state.active.map((e) => e.adapter) }, batchSize);
          const mine = { active, feeds: made };
          cached = mine;
          made.catch(() => {
            const i = list.indexOf(mine);
            if (i >= 0) list.splice(i, 1);
          });
        }
        list.push(cached);
        if (list.length > FEED_SETS) list.shift();
        return { session, feeds: await cached.feeds, done };
      }
      if (injected === undefined) return { session, feeds: {}, done };
      const adapters = (list: readonly RegistryEntry<AdapterPlan>[]): Adapter[] => list.map((e) => e.adapter);
      const selection: AdapterSelection =
        state.perRow === undefined
          ? { adapters: adapters(state.active) }
          : { perRow: state.perRow.map(adapters) };
      return { session, feeds: await this.buildFeeds(injected, selection, batchSize), done };
    } catch (error) {
      done();
      throw error;
    }
  }

  /** The adapter feeds of one run as backend tensors. */
  private async buildFeeds(
    injected: InjectedAdapterBranches,
    selection: AdapterSelection,
    batchSize: number,
  ): Promise<TensorMap> {
    const built = await buildAdapterFeeds(injected, selection, batchSize);
    // built by fromEntries, the object keeps V8's fast properties (keyed stores of dozens of names make it a
    // dictionary), so copying it into each run's feeds stays cheap
    return Object.fromEntries(
      Object.entries(built).map(([name, f]) => [name, this.backend.tensor(f.type, f.data, f.dims)]),
    );
  }

  async forget(entries: readonly { prepared: AdapterPlan }[]): Promise<void> {
    const entry = this.current;
    if (entry !== undefined && entries.some((e) => entry.plans.has(e.prepared))) await this.drop(entry);
  }

  async release(): Promise<void> {
    if (this.current !== undefined) await this.drop(this.current);
  }

  /** Merges what the loaded adapters write into the base, rewrites the graph for all of them, loads it. */
  private async createSession(
    loaded: readonly RegistryEntry<AdapterPlan>[],
    rows: AdapterRows,
  ): Promise<{ session: BackendSession; injected: InjectedAdapterBranches | undefined }> {
    const built = await this.model.build(await mergeTargets(mergedPlans({ loaded, active: [] }).loaded, []));
    let bytes = built.bytes;
    let injected: InjectedAdapterBranches | undefined;
    if (loaded.length > 0) {
      const baseWeight = this.model.baseWeight;
      try {
        injected = await injectAdapterBranches(
          decodeModel(built.bytes),
          dynamicTargets(loaded.map((e) => e.adapter)),
          {
            source: externalDataFromFiles(built.externalData),
            rows,
            ...(baseWeight === undefined ? {} : { baseWeight }),
          },
        );
      } catch (error) {
        throw wrapError(error, 'BAD_ADAPTER', 'adding the adapter branches to the ONNX model failed');
      }
      bytes = encodeModel(injected.model);
    }
    try {
      return {
        session: await this.backend.createSession(bytes, { externalData: built.externalData }),
        injected,
      };
    } catch (error) {
      throw wrapError(error, 'BACKEND_FAILED', `${this.backend.name} could not load the rewritten model`);
    }
  }

  private async drop(entry: Loaded): Promise<void> {
    if (this.current === entry) this.current = undefined;
    entry.evicted = true;
    if (entry.users === 0) await this.releaseEntry(entry);
  }

  private async releaseEntry(entry: Loaded): Promise<void> {
    const variants = [...entry.variants.values()];
    entry.variants.clear();
    for (const variant of variants) {
      const ready = await variant.catch(() => undefined);
      await ready?.session.release();
    }
  }
}
