import { AdapterError } from '../errors.js';
import type { Backend } from './backend.js';
import type { SessionEngine, SessionMode } from './engine.js';
import { MergedEngine } from './merged-engine.js';
import type { SessionModel } from './session-model.js';

/**
 * The engine of a mode. Dynamic mode (adapter branches in the graph, fed per run) plugs in here.
 *
 * @param mode - the session's mode
 * @param model - the base model
 * @param backend - the backend
 * @param cacheSize - merged mode: backend sessions kept
 * @returns the engine
 * @throws {AdapterError} `UNSUPPORTED_FEATURE` for dynamic mode, not implemented yet
 * @internal
 */
export function createEngine(
  mode: SessionMode,
  model: SessionModel,
  backend: Backend,
  cacheSize?: number,
): SessionEngine {
  if (mode === 'merged') return new MergedEngine(model, backend, cacheSize);
  throw new AdapterError(
    'UNSUPPORTED_FEATURE',
    "mode 'dynamic' (adapter weights fed at run time) is not implemented yet; use mode 'merged'",
  );
}
