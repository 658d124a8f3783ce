import type { AdapterBranch, AdapterBranchTarget } from '@peftjs/onnx';
import type { Adapter } from '../adapter.js';
import type { AdapterLayer } from '../adapter-layer.js';

/** The branch a layer is fed through, as a lookup key: module, kind and (IA³) the side it scales. @internal */
export function layerKey(layer: AdapterLayer): string {
  if (layer.kind === 'ia3') return branchKeyOf(layer.module, 'ia3', layer.isFeedforward);
  return branchKeyOf(layer.module, layer.kind, false);
}

/** The lookup key of a branch. @internal */
export function branchKey(branch: AdapterBranch): string {
  return branchKeyOf(branch.module, branch.kind, branch.kind === 'ia3' && branch.feedforward);
}

function branchKeyOf(module: string, kind: string, feedforward: boolean): string {
  return `${module}\u0000${kind}${feedforward ? ':ff' : ''}`;
}

/** Splits `classifier.weight` into module and parameter. @internal */
export function splitParameter(name: string): { module: string; param: string } {
  const dot = name.lastIndexOf('.');
  return { module: name.slice(0, dot), param: name.slice(dot + 1) };
}

/**
 * The branch targets that let one rewritten model run every adapter given (each alone, several together, or one
 * per batch row): the union of their layers — DoRA and `lora_bias` inputs where any adapter needs them — plus a
 * `'replace'` target for each `modules_to_save` weight or bias. Pass the adapters loaded in a session; other
 * adapters with the same targets reuse the rewritten model.
 *
 * Parameters PEFT writes into the base model itself when an adapter loads (`bias="all"` / `"lora_only"`
 * biases, saved embedding layers: `Adapter.replacements` with any reason but `modules_to_save`) get no branch:
 * PEFT keeps them while adapters are disabled, so merge them into the model (`mergeIntoModel` with
 * `replaceBias` / `replaceWeight`) before rewriting it.
 *
 * @param adapters - the adapters the rewritten model must serve
 * @returns targets for `injectAdapterBranches`, in first-seen order
 * @example
 * ```ts
 * const { model, branches, adapterIndexInput } = await injectAdapterBranches(base, dynamicTargets([a, b]));
 * ```
 */
export function dynamicTargets(adapters: readonly Adapter[]): AdapterBranchTarget[] {
  const targets = new Map<string, AdapterBranchTarget>();
  const merge = (key: string, target: AdapterBranchTarget) => {
    const known = targets.get(key);
    if (!known) {
      targets.set(key, target);
      return;
    }
    targets.set(key, {
      ...known,
      ...(target.dora || known.dora ? { dora: true } : {}),
      ...(target.loraBias || known.loraBias ? { loraBias: true } : {}),
      ...(target.weight || known.weight ? { weight: true } : {}),
      ...(target.bias || known.bias ? { bias: true } : {}),
    });
  };
  for (const adapter of adapters) {
    for (const layer of adapter.layers) {
      if (layer.kind === 'ia3') {
        merge(layerKey(layer), { module: layer.module, kind: 'ia3', feedforward: layer.isFeedforward });
      } else {
        merge(layerKey(layer), {
          module: layer.module,
          kind: layer.kind,
          ...(layer.magnitude ? { dora: true } : {}),
          ...(layer.loraBias ? { loraBias: true } : {}),
        });
      }
    }
    for (const r of adapter.replacements) {
      if (r.reason !== 'modules_to_save') continue;
      const { module, param } = splitParameter(r.name);
      if (param !== 'weight' && param !== 'bias') continue;
      merge(branchKeyOf(module, 'replace', false), { module, kind: 'replace', [param]: true });
    }
  }
  return [...targets.values()];
}
