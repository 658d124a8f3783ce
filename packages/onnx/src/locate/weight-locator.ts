import { OnnxError } from '../errors.js';
import { ModelIndex } from '../graph/model-index.js';
import { DataType, type ModelProto, type NodeProto } from '../model/types.js';
import { ambiguous, buildLocation, nodeLabel } from './build-location.js';
import { bestScope, parsePythonStrings, push, torchScriptScope } from './scope-names.js';
import type {
  LocateRequest,
  LocateStrategy,
  WeightKind,
  WeightLocation,
  WeightLocatorOptions,
  WeightUse,
} from './types.js';
import { ValueMatcher } from './value-match.js';
import { resolveSource, tensorUses, type WeightSource } from './weight-uses.js';

const NAME_SCOPES = 'pkg.torch.onnx.name_scopes';
const FOLDED_FROM = 'pkg.onnxscript.optimizer.constant_folding.folded_from';
const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Gather']);
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16]);

type Found = { location: WeightLocation } | { notes: string[] };

function fitsKind(use: WeightUse, kind: WeightKind | undefined): boolean {
  return kind === undefined || (kind === 'embedding') === (use.op === 'Gather');
}

/**
 * Finds where PEFT modules' weights live in an ONNX graph. Strategies, in order: an initializer named
 * `<module>.weight` (or folded from it); TorchScript node scopes (`/…/layers.0/self_attn/q_proj/MatMul`);
 * dynamo `pkg.torch.onnx.name_scopes` metadata; and, when a base checkpoint is given, the initializer whose
 * values equal the module's weight or its transpose. Weights are followed through Identity, Cast and
 * Transpose nodes to the MatMul, Gemm or Gather reading them.
 *
 * The index is built when the locator is created: make a new one after changing the graph.
 *
 * @example
 * ```ts
 * const locator = new WeightLocator(model, { source, baseWeight: (m) => checkpoint.weight(m) });
 * const loc = await locator.locate('model.decoder.layers.0.self_attn.q_proj');
 * console.log(loc.initializer, loc.layout, loc.strategy); // 'onnx::MatMul_363' 'in_out' 'node-scope'
 * ```
 */
export class WeightLocator {
  private readonly index: ModelIndex;
  private readonly scopes = new Map<string, NodeProto[]>();
  private readonly nameScopes = new Map<string, NodeProto[]>();
  private readonly foldedFrom = new Map<string, WeightSource[]>();
  private matcher: ValueMatcher | undefined;

  /**
   * @param model - the model
   * @param options - external data source and base checkpoint for value matching
   */
  constructor(
    model: ModelProto,
    private readonly options: WeightLocatorOptions = {},
  ) {
    this.index = new ModelIndex(model.graph);
    for (const { node } of this.index.nodes()) {
      if (!WEIGHT_OPS.has(node.opType)) continue;
      const scope = torchScriptScope(node.name);
      if (scope) push(this.scopes, scope, node);
      const scopes = node.metadataProps.find((p) => p.key === NAME_SCOPES);
      const list = scopes && parsePythonStrings(scopes.value);
      // the last entry names the node itself; the one before is the innermost module
      if (list && list.length >= 2) push(this.nameScopes, list[list.length - 2] as string, node);
    }
    for (const { tensor } of this.index.allInitializers()) {
      const folded = tensor.metadataProps.find((p) => p.key === FOLDED_FROM);
      if (!folded) continue;
      for (const name of parsePythonStrings(folded.value) ?? [folded.value]) {
        push(this.foldedFrom, name, { name: tensor.name, tensor });
      }
    }
  }

  /**
   * Locates one module's weight.
   *
   * @param module - the PEFT module name (a `base_model.model.` prefix is ignored)
   * @param options - `kind`: `'linear'` or `'embedding'`; needed where a weight is tied to another module's
   * @returns where the weight is and how it was found
   * @throws {OnnxError} `TARGET_NOT_FOUND` (with what each strategy saw), `AMBIGUOUS_TARGET`
   */
  async locate(module: string, options: { kind?: WeightKind } = {}): Promise<WeightLocation> {
    const found = await this.find(module, options.kind);
    if ('location' in found) return found.location;
    throw new OnnxError(
      'TARGET_NOT_FOUND',
      `Cannot locate the weight of module "${module}": ${found.notes.join('; ')}.`,
      {
        value: module,
      },
    );
  }

  /**
   * Locates several modules; every failure is collected into one error.
   *
   * @param requests - module names, or `{ module, kind }`
   * @returns the locations, in request order
   * @throws {OnnxError} `TARGET_NOT_FOUND` listing every module not found, `AMBIGUOUS_TARGET`
   */
  async locateAll(requests: readonly (string | LocateRequest)[]): Promise<WeightLocation[]> {
    const out: WeightLocation[] = [];
    const missing: string[] = [];
    for (const request of requests) {
      const { module, kind } = typeof request === 'string' ? { module: request, kind: undefined } : request;
      const found = await this.find(module, kind);
      if ('location' in found) out.push(found.location);
      else missing.push(`"${module}" (${found.notes.join('; ')})`);
    }
    if (missing.length > 0) {
      throw new OnnxError(
        'TARGET_NOT_FOUND',
        `Cannot locate ${missing.length} of ${requests.length} modules: ${missing.join(', ')}.`,
        { value: missing },
      );
    }
    return out;
  }

  private async find(rawModule: string, kind: WeightKind | undefined): Promise<Found> {
    const module = rawModule.replace(/^base_model\.model\./, '');
    const notes: string[] = [];
    const want = kind === undefined ? 'MatMul/Gemm/Gather' : kind === 'embedding' ? 'Gather' : 'MatMul/Gemm';
    // 1. an initializer named after the parameter, or folded from it
    const named = resolveSource(this.index, `${module}.weight`);
    const sources = [...(named ? [named] : []), ...(this.foldedFrom.get(`${module}.weight`) ?? [])];
    const value = `${module}.weight`;
    for (const source of sources) {
      // a value named after the parameter may be an Identity of a deduplicated tensor: keep the uses through it
      const via = (u: WeightUse): boolean =>
        source.name === value ||
        source !== named ||
        u.node.input[u.inputIndex] === value ||
        u.path.some((p) => p.output[0] === value);
      const uses = tensorUses(this.index, source.name).terminals.filter((u) => fitsKind(u, kind) && via(u));
      if (uses.length > 0) {
        const how =
          source === named
            ? `initializer "${source.name}"`
            : `"${source.name}" folded from "${module}.weight"`;
        return buildLocation(
          this.index,
          module,
          source,
          uses,
          'initializer-name',
          `${how} is read by ${uses.map((u) => nodeLabel(u.node)).join(', ')}`,
        );
      }
      notes.push(`"${source.name}" is not read by a ${want}`);
    }
    if (sources.length === 0) notes.push(`no initializer "${module}.weight"`);
    // 2. TorchScript node scopes, 3. dynamo name_scopes
    for (const [strategy, map] of [
      ['node-scope', this.scopes],
      ['name-scopes', this.nameScopes],
    ] as const) {
      const nodes = bestScope(map, module);
      if (!nodes) {
        notes.push(strategy === 'node-scope' ? 'no node scope names it' : 'no name_scopes metadata names it');
        continue;
      }
      const found = this.fromNodes(module, nodes, kind, strategy);
      if (found) return found;
      notes.push(
        `its ${strategy} nodes ${nodes.map(nodeLabel).join(', ')} read no ${want} weight initializer`,
      );
    }
    // 4. values of the base checkpoint
    return this.byValue(module, kind, notes);
  }

  private fromNodes(
    module: string,
    nodes: readonly NodeProto[],
    kind: WeightKind | undefined,
    strategy: LocateStrategy,
  ): Found | undefined {
    const bySource = new Map<string, { source: WeightSource; nodes: Set<NodeProto> }>();
    for (const node of nodes) {
      const input = node.opType === 'Gather' ? node.input[0] : node.input[1];
      const source = input === undefined ? undefined : resolveSource(this.index, input);
      if (!source) continue;
      const entry = bySource.get(source.name) ?? { source, nodes: new Set() };
      entry.nodes.add(node);
      bySource.set(source.name, entry);
    }
    const matches = [...bySource.values()]
      .map(({ source, nodes: own }) => ({
        source,
        uses: tensorUses(this.index, source.name).terminals.filter(
          (u) => own.has(u.node) && fitsKind(u, kind),
        ),
      }))
      .filter((m) => m.uses.length > 0);
    if (matches.length === 0) return undefined;
    if (matches.length > 1)
      throw ambiguous(
        module,
        matches.map((m) => m.source.name),
        `${strategy} nodes read`,
      );
    const [{ source, uses }] = matches as [{ source: WeightSource; uses: WeightUse[] }];
    return buildLocation(
      this.index,
      module,
      source,
      uses,
      strategy,
      `${uses.map((u) => `node "${nodeLabel(u.node)}"`).join(', ')} reads "${source.name}"`,
    );
  }

  private async byValue(module: string, kind: WeightKind | undefined, notes: string[]): Promise<Found> {
    if (!this.options.baseWeight) return { notes: [...notes, 'no base checkpoint given for value matching'] };
    const base = await this.options.baseWeight(module);
    if (!base) return { notes: [...notes, `the base checkpoint has no "${module}.weight"`] };
    this.matcher ??= new ValueMatcher(this.candidates(), this.options.source);
    const matches = (await this.matcher.find(base))
      .map((m) => ({
        ...m,
        uses: tensorUses(this.index, m.source.name).terminals.filter((u) => fitsKind(u, kind)),
      }))
      .filter((m) => m.uses.length > 0);
    const names = [...new Set(matches.map((m) => m.source.name))];
    if (names.length === 0)
      return { notes: [...notes, `no initializer holds its [${base.shape.join(', ')}] base values`] };
    if (names.length > 1) throw ambiguous(module, names, 'the base values equal');
    const [match] = matches as [(typeof matches)[number]];
    const how = `"${match.source.name}" holds the base weight${match.transposed ? ' transposed' : ''}`;
    return buildLocation(this.index, module, match.source, match.uses, 'value-match', how, match.transposed);
  }

  private candidates(): WeightSource[] {
    const out: WeightSource[] = [];
    for (const { tensor } of this.index.allInitializers()) {
      if (tensor.dims.length !== 2 || !FLOAT_TYPES.has(tensor.dataType)) continue;
      if (tensorUses(this.index, tensor.name).terminals.length > 0) out.push({ name: tensor.name, tensor });
    }
    return out;
  }
}
