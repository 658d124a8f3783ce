import type { Backend } from './backend.js';
import { DynamicEngine } from './dynamic-engine.js';
import type { SessionEngine, SessionMode } from './engine.js';
import { MergedEngine } from './merged-engine.js';
import type { SessionModel } from './session-model.js';

/**
 * The engine of a mode: merged (adapters baked into the weights) or dynamic (adapter branches in the graph, fed
 * per run).
 *
 * @param mode - the session's mode
 * @param model - the base model
 * @param backend - the backend
 * @param cacheSize - merged mode: backend sessions kept
 * @returns the engine
 * @internal
 */
export function createEngine(
  mode: SessionMode,
  model: SessionModel,
  backend: Backend,
  cacheSize?: number,
): SessionEngine {
  if (mode === 'merged') return new MergedEngine(model, backend, cacheSize);
  return new DynamicEngine(model, backend);
}
