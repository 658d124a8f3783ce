import type { RegistryEntry } from './adapter-registry.js';
import type { BackendSession, TensorMap } from './backend.js';
import type { AdapterPlan } from './plan-adapter.js';

/**
 * How a session applies adapters: `'merged'` bakes the active adapters into the weights (a new backend session
 * per active set, zero overhead per run); `'dynamic'` rewrites the graph once and feeds the adapters' tensors on
 * every run.
 */
export type SessionMode = 'merged' | 'dynamic';

/** What a run needs to know about the adapters. @internal */
export interface RunState {
  /** Every loaded adapter, in load order (their trained biases / saved embeddings are part of the base). */
  readonly loaded: readonly RegistryEntry<AdapterPlan>[];
  /** The active adapters in the order they were set; empty when adapters are disabled or none is loaded. */
  readonly active: readonly RegistryEntry<AdapterPlan>[];
  /**
   * Dynamic mode: one adapter set per batch row (PEFT's `adapter_names=[...]`; `[]` for `"__base__"`), used instead
   * of `active` when given.
   */
  readonly perRow?: readonly (readonly RegistryEntry<AdapterPlan>[])[];
}

/** The backend session to run and the feeds a mode adds to the caller's. @internal */
export interface RunPlan {
  readonly session: BackendSession;
  /** Extra inputs built for this run (merged mode: none; dynamic mode: the adapters' tensors). */
  readonly feeds: TensorMap;
  /** Call when the run is over (lets the engine release a session it evicted meanwhile). */
  done(): void;
}

/**
 * The seam between `AdapterSession` and a mode: the session owns the adapters and their state; the engine turns a
 * state into a backend session plus per-run feeds. A new mode implements this interface.
 * @internal
 */
export interface SessionEngine {
  readonly mode: SessionMode;
  /**
   * The session and feeds for one run in `state` (built lazily, cached as the engine sees fit).
   *
   * @param state - loaded and active adapters
   * @param batchSize - rows of the caller's feeds (dynamic mode sizes its per-row inputs with it)
   */
  prepareRun(state: RunState, batchSize: number): Promise<RunPlan>;
  /** Adapters were removed: drop anything built from them. */
  forget(entries: readonly RegistryEntry<AdapterPlan>[]): Promise<void>;
  /** Releases every backend session. */
  release(): Promise<void>;
}
