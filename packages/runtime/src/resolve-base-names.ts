import { AdapterError } from './errors.js';

/** How adapter-side (task model) names map onto a checkpoint's names. */
export interface NameMapping {
  /** `'identity'`, `'strip'` (the checkpoint lacks the task model's first segment) or `'add'`. */
  readonly kind: 'identity' | 'strip' | 'add';
  /** The segment stripped or added (with its dot), `''` for identity. */
  readonly prefix: string;
  /** Maps one adapter-side name. */
  map(name: string): string;
}

const IDENTITY: NameMapping = { kind: 'identity', prefix: '', map: (n) => n };

function strip(prefix: string): NameMapping {
  return { kind: 'strip', prefix, map: (n) => (n.startsWith(prefix) ? n.slice(prefix.length) : n) };
}

function add(prefix: string): NameMapping {
  return { kind: 'add', prefix, map: (n) => prefix + n };
}

function firstSegments(names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const n of names) {
    const dot = n.indexOf('.');
    if (dot > 0) out.add(n.slice(0, dot + 1));
  }
  return out;
}

/**
 * Finds how the names an adapter needs (task-model names such as `transformer.h.0.attn.c_attn.weight`) appear in a
 * checkpoint: unchanged, or without / with one leading segment (a checkpoint of the bare model, `h.0.attn…`, or of
 * a task model wrapping it). Only an unambiguous mapping under which every name is found is accepted.
 *
 * @param needed - names the adapter needs, adapter side
 * @param has - whether the checkpoint holds a name
 * @param allBase - every checkpoint name (for candidate prefixes)
 * @param hint - text naming the adapter's base model, for the error
 * @returns the mapping
 * @throws {AdapterError} `TARGET_NOT_FOUND` listing the missing names, or saying the mapping is ambiguous
 * @internal
 */
export function resolveBaseNames(
  needed: readonly string[],
  has: (name: string) => boolean,
  allBase: Iterable<string>,
  hint: string,
): NameMapping {
  const missing = (m: NameMapping) => needed.filter((n) => !has(m.map(n)));
  const direct = missing(IDENTITY);
  if (direct.length === 0) return IDENTITY;
  const candidates: NameMapping[] = [];
  for (const s of firstSegments(needed)) candidates.push(strip(s));
  for (const p of firstSegments(allBase)) candidates.push(add(p));
  const valid = candidates.filter((m) => missing(m).length === 0);
  if (valid.length === 1) return valid[0] as NameMapping;
  if (valid.length > 1) {
    throw new AdapterError(
      'TARGET_NOT_FOUND',
      `the adapter's module names do not appear in the checkpoint as they are, and more than one prefix would ` +
        `fit (${valid.map((m) => `${m.kind} "${m.prefix}"`).join(', ')}); e.g. ${direct[0]}`,
    );
  }
  const shown = direct.slice(0, 5).join(', ');
  const module = direct[0]?.replace(/\.(weight|bias)$/, '');
  throw new AdapterError(
    'TARGET_NOT_FOUND',
    `${direct.length} of the ${needed.length} base tensors the adapter changes are not in the checkpoint: ` +
      `${shown}${direct.length > 5 ? ', …' : ''}. The adapter was made for ${hint}; is this its base model?`,
    module === undefined ? {} : { module },
  );
}
