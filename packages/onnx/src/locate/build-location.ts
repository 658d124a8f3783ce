import { OnnxError } from '../errors.js';
import type { ModelIndex } from '../graph/model-index.js';
import { dataTypeName } from '../model/data-type.js';
import type { NodeProto } from '../model/types.js';
import type { LocateStrategy, WeightLocation, WeightUse } from './types.js';
import { findBias, tensorUses, type WeightSource } from './weight-uses.js';

/** A node's name, or a description of an unnamed one. @internal */
export function nodeLabel(node: NodeProto): string {
  return node.name || `<${node.opType} → ${node.output[0] ?? ''}>`;
}

/** The error for a module that matches more than one weight. @internal */
export function ambiguous(module: string, names: readonly string[], why: string): OnnxError {
  const list = names.length > 0 ? ` (${names.map((n) => `"${n}"`).join(', ')})` : '';
  return new OnnxError(
    'AMBIGUOUS_TARGET',
    `Module "${module}" matches more than one weight${list}: ${why}.`,
    {
      value: names,
    },
  );
}

/**
 * Builds a location from the weight tensor and the module's uses of it: layout and features from the first
 * use, other readers of the tensor, and the bias next to it. @internal
 */
export function buildLocation(
  index: ModelIndex,
  module: string,
  source: WeightSource,
  uses: WeightUse[],
  strategy: LocateStrategy,
  detail: string,
  matchedTransposed?: boolean,
): { location: WeightLocation } {
  const first = uses[0] as WeightUse;
  const mixed = uses.find(
    (u) => u.layout !== first.layout || (u.op === 'Gather') !== (first.op === 'Gather'),
  );
  if (mixed) {
    throw ambiguous(
      module,
      [source.name],
      `it is read as ${first.op} (${first.layout}) and as ${mixed.op} (${mixed.layout}); pass a kind`,
    );
  }
  const { tensor } = source;
  if (tensor.dims.length !== 2) {
    throw new OnnxError(
      'UNSUPPORTED_DATA_TYPE',
      `The weight "${source.name}" of module "${module}" is not 2-D: [${tensor.dims.join(', ')}].`,
      {
        value: tensor.dims,
      },
    );
  }
  const [d0, d1] = tensor.dims as [number, number];
  const [inFeatures, outFeatures] = first.layout === 'in_out' ? [d0, d1] : [d1, d0];
  const all = tensorUses(index, source.name);
  const own = new Set(uses.map((u) => u.node));
  const sharedWith = [
    ...all.terminals.filter((u) => !own.has(u.node)).map((u) => nodeLabel(u.node)),
    ...all.foreign.map((u) =>
      u.node ? nodeLabel(u.node) : `graph output "${u.scope.graph.output[u.index]?.name}"`,
    ),
  ];
  const bias = findBias(index, first, outFeatures);
  const location: WeightLocation = {
    module,
    initializer: source.name,
    tensor,
    ...(source.constant ? { constant: source.constant } : {}),
    op: first.op,
    layout: first.layout,
    node: nodeLabel(first.node),
    uses,
    inFeatures,
    outFeatures,
    dataType: tensor.dataType,
    strategy,
    detail: `${detail} (${dataTypeName(tensor.dataType)} [${tensor.dims.join(', ')}], ${first.layout})`,
    sharedWith: [...new Set(sharedWith)],
    ...(matchedTransposed === undefined ? {} : { matchedTransposed }),
    ...(bias ? { bias } : {}),
  };
  return { location };
}
