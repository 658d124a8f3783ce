import type { GraphProto, NodeProto, TensorProto } from '../model/types.js';

/** A graph and where it sits: the top-level graph, or a subgraph attribute (`If` branches, `Loop`/`Scan` bodies). */
export interface GraphScope {
  readonly graph: GraphProto;
  /** The enclosing scope (undefined for the top-level graph). */
  readonly parent?: GraphScope;
  /** The node whose attribute holds this graph. */
  readonly owner?: NodeProto;
  /** `''` for the top-level graph, else `<owner node name>/<attribute name>[index]` segments joined by `/`. */
  readonly path: string;
}

/** One use of a value: input `index` of `node`, or (no node) the graph output at `index`. */
export interface ValueUse {
  readonly node?: NodeProto;
  readonly index: number;
  readonly scope: GraphScope;
}

/** The node that produces a value, and output slot. */
export interface ValueProducer {
  readonly node: NodeProto;
  readonly index: number;
  readonly scope: GraphScope;
}

/** An initializer and the graph that holds it. */
export interface InitializerRef {
  readonly tensor: TensorProto;
  readonly scope: GraphScope;
}

/**
 * A read-only index of a graph and all its subgraphs: initializers, producers and uses by value name. ONNX
 * names are unique across nested scopes, so one map serves all of them; a subgraph's use of an outer value is
 * a use of that value. Build a new index after changing the graph.
 */
export class ModelIndex {
  /** Every scope, the top-level graph first, parents before children. */
  readonly scopes: readonly GraphScope[];
  private readonly initializers = new Map<string, InitializerRef>();
  private readonly producers = new Map<string, ValueProducer>();
  private readonly useMap = new Map<string, ValueUse[]>();
  private readonly nodeScopes = new Map<NodeProto, GraphScope>();
  private readonly graphInputs = new Set<string>();
  private readonly nodeNames = new Set<string>();

  /**
   * @param graph - the top-level graph
   */
  constructor(graph: GraphProto) {
    const scopes: GraphScope[] = [];
    const visit = (scope: GraphScope): void => {
      scopes.push(scope);
      const { graph: g } = scope;
      for (const t of g.initializer)
        if (!this.initializers.has(t.name)) this.initializers.set(t.name, { tensor: t, scope });
      for (const i of g.input) this.graphInputs.add(i.name);
      g.output.forEach((o, index) => {
        this.addUse(o.name, { index, scope });
      });
      for (const node of g.node) {
        this.nodeScopes.set(node, scope);
        if (node.name !== '') this.nodeNames.add(node.name);
        node.input.forEach((name, index) => {
          if (name !== '') this.addUse(name, { node, index, scope });
        });
        node.output.forEach((name, index) => {
          if (name !== '') this.producers.set(name, { node, index, scope });
        });
        for (const a of node.attribute) {
          const graphs = a.g ? [a.g, ...a.graphs] : a.graphs;
          graphs.forEach((sub, i) => {
            const label = `${node.name || node.opType}/${a.name}${a.graphs.length > 0 ? `[${i}]` : ''}`;
            visit({
              graph: sub,
              parent: scope,
              owner: node,
              path: scope.path ? `${scope.path}/${label}` : label,
            });
          });
        }
      }
    };
    visit({ graph, path: '' });
    this.scopes = scopes;
  }

  private addUse(name: string, use: ValueUse): void {
    const list = this.useMap.get(name);
    if (list) list.push(use);
    else this.useMap.set(name, [use]);
  }

  /** The initializer of that name, in any scope. */
  initializer(name: string): InitializerRef | undefined {
    return this.initializers.get(name);
  }

  /** All initializers, in scope order. */
  allInitializers(): IterableIterator<InitializerRef> {
    return this.initializers.values();
  }

  /** The node producing the value, if a node does. */
  producer(name: string): ValueProducer | undefined {
    return this.producers.get(name);
  }

  /** Every use of the value (node inputs in any scope, and graph outputs). */
  uses(name: string): readonly ValueUse[] {
    return this.useMap.get(name) ?? [];
  }

  /** The scope a node belongs to. */
  scopeOf(node: NodeProto): GraphScope | undefined {
    return this.nodeScopes.get(node);
  }

  /** Whether any graph declares the value as an input. */
  isGraphInput(name: string): boolean {
    return this.graphInputs.has(name);
  }

  /** Every node with its scope, in graph order (subgraph nodes after their graph's nodes). */
  *nodes(): IterableIterator<{ node: NodeProto; scope: GraphScope }> {
    for (const scope of this.scopes) for (const node of scope.graph.node) yield { node, scope };
  }

  /** Whether a value of that name is defined: an initializer, a node output or a graph input. */
  isDefined(name: string): boolean {
    return this.initializers.has(name) || this.producers.has(name) || this.graphInputs.has(name);
  }

  /** Whether a node has that name. */
  hasNodeName(name: string): boolean {
    return this.nodeNames.has(name);
  }

  /** Whether a name is taken by any value (defined or only referenced) or node of the model. */
  isNameUsed(name: string): boolean {
    if (this.initializers.has(name) || this.producers.has(name) || this.graphInputs.has(name)) return true;
    return this.useMap.has(name) || this.nodeNames.has(name);
  }
}
