import type { NodeProto } from '../model/types.js';

/**
 * The module path of a TorchScript-exported node name: `/decoder/layers.0/self_attn/q_proj/MatMul` →
 * `decoder.layers.0.self_attn.q_proj`. A component that the next one extends is dropped, undoing the repeated
 * prefixes of called `Sequential` containers (pytorch/pytorch#90439: `/layer1/layer1.0/conv1/Conv`).
 *
 * @param nodeName - the node's name
 * @returns the dotted module path (`''` for the root), or undefined for names without scopes
 * @internal
 */
export function torchScriptScope(nodeName: string): string | undefined {
  if (!nodeName.startsWith('/')) return undefined;
  const parts = nodeName.split('/').slice(1, -1);
  const out: string[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (last !== undefined && part.startsWith(`${last}.`)) out.pop();
    out.push(part);
  }
  return out.join('.');
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/**
 * Parses a Python `repr` of a list of strings, as the dynamo exporter writes `pkg.torch.onnx.name_scopes`:
 * `"['', 'encoder', 'encoder.embed_tokens', 'embedding']"`.
 *
 * @param text - the metadata value
 * @returns the strings, or undefined when `text` is not such a list
 * @internal
 */
export function parsePythonStrings(text: string): string[] | undefined {
  const s = text.trim();
  const open = s[0];
  const close = open === '[' ? ']' : open === '(' ? ')' : open === '{' ? '}' : undefined;
  if (!close || s[s.length - 1] !== close) return undefined;
  const out: string[] = [];
  let i = 1;
  const skip = (): void => {
    while (i < s.length - 1 && (s[i] === ' ' || s[i] === ',' || s[i] === '\n')) i++;
  };
  skip();
  while (i < s.length - 1) {
    const quote = s[i];
    if (quote !== "'" && quote !== '"') return undefined;
    let value = '';
    i++;
    while (i < s.length - 1 && s[i] !== quote) {
      if (s[i] === '\\') {
        const next = s[i + 1] ?? '';
        if (next === 'x' || next === 'u') {
          const len = next === 'x' ? 2 : 4;
          value += String.fromCharCode(Number.parseInt(s.slice(i + 2, i + 2 + len), 16));
          i += 2 + len;
          continue;
        }
        value += ESCAPES[next] ?? next;
        i += 2;
        continue;
      }
      value += s[i];
      i++;
    }
    if (s[i] !== quote) return undefined;
    i++;
    out.push(value);
    skip();
  }
  return out;
}

/**
 * How well a scope path names a module: 3 for the same path, 2 when the scope is the module path without
 * leading components (an exporter dropped a wrapper, e.g. `decoder.layers.0.fc1` for
 * `model.decoder.layers.0.fc1`), 1 when the scope adds leading components; 0 for no match.
 *
 * @param module - the PEFT module name
 * @param scope - a dotted scope path
 * @returns the score
 * @internal
 */
export function scopeMatch(module: string, scope: string): number {
  if (scope === '') return 0;
  if (scope === module) return 3;
  if (module.endsWith(`.${scope}`)) return 2;
  if (scope.endsWith(`.${module}`)) return 1;
  return 0;
}

/** Appends to a map of lists. @internal */
export function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Nodes of the scopes that name the module best: the same path, else the longest scope the module path ends
 * with, else every scope that ends with the module path (a module under several wrappers, e.g. both branches
 * of an optimum merged decoder). Several scopes may tie; the caller checks that they read one weight.
 * @internal
 */
export function bestScope(map: ReadonlyMap<string, NodeProto[]>, module: string): NodeProto[] | undefined {
  let best: { rank: number; nodes: NodeProto[] } | undefined;
  for (const [scope, nodes] of map) {
    const score = scopeMatch(module, scope);
    if (score === 0) continue;
    // a longer suffix of the module path is more specific; extra leading components say nothing
    const rank = score * 1e6 + (score === 2 ? scope.length : 0);
    if (!best || rank > best.rank) best = { rank, nodes: [...nodes] };
    else if (rank === best.rank) best.nodes.push(...nodes);
  }
  return best?.nodes;
}
