import { OnnxError } from '../errors.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../model/types.js';
import { createNode, createValueInfo, type NodeSpec } from './builders.js';
import { ModelIndex, type ValueProducer, type ValueUse } from './model-index.js';
import { checkTopologicalOrder, sortTopologically } from './topological.js';

/** Where {@link GraphEditor.addNode} inserts a node (default: at the end of the top-level graph). */
export interface AddNodeOptions {
  /** Insert right before this node (in its graph). */
  before?: NodeProto;
  /** Insert right after this node (in its graph). */
  after?: NodeProto;
}

/**
 * Edits a model's graph: adds inputs, outputs, initializers and nodes, rewires uses of values, and keeps the
 * node order topological. Lookups go through a {@link ModelIndex} that the editor rebuilds after its own
 * edits; call {@link GraphEditor.refresh} after changing the protos directly.
 *
 * @example
 * ```ts
 * const editor = new GraphEditor(model);
 * editor.addInput('scale', DataType.FLOAT, [1]);
 * const node = editor.addNode({ opType: 'Mul', inputs: ['logits', 'scale'], outputs: [editor.uniqueName('scaled')] });
 * editor.replaceUses('logits', node.output[0], { where: (use) => use.node !== node });
 * editor.checkTopologicalOrder();
 * ```
 */
export class GraphEditor {
  /** The top-level graph being edited. */
  readonly graph: GraphProto;
  private cached: ModelIndex | undefined;

  /**
   * @param target - a model (its graph is edited) or a graph
   */
  constructor(target: ModelProto | GraphProto) {
    this.graph = 'graph' in target ? target.graph : target;
  }

  /** The current index (rebuilt lazily after edits). */
  get index(): ModelIndex {
    this.cached ??= new ModelIndex(this.graph);
    return this.cached;
  }

  /** Forgets the index, after the protos were changed directly. */
  refresh(): void {
    this.cached = undefined;
  }

  /** Whether a value or node of that name exists anywhere in the model. */
  has(name: string): boolean {
    return this.index.isNameUsed(name);
  }

  /**
   * A name not used by any value or node: `base` itself, else `base_1`, `base_2`, …
   *
   * @param base - the preferred name
   * @returns a free name (reserved only once something uses it)
   */
  uniqueName(base: string): string {
    if (!this.has(base)) return base;
    for (let i = 1; ; i++) if (!this.has(`${base}_${i}`)) return `${base}_${i}`;
  }

  /** A value name may be defined once; a name only referenced so far (a dangling input) may be defined now. */
  private checkFree(name: string, what: string, node = false): void {
    const taken = node ? this.index.hasNodeName(name) : this.index.isDefined(name);
    if (name === '' || taken) {
      throw new OnnxError(
        'DUPLICATE_NAME',
        `Cannot add ${what} "${name}": the name is empty or already used.`,
        {
          value: name,
        },
      );
    }
  }

  /**
   * Adds a graph input (a required feed).
   *
   * @param name - a new value name
   * @param elemType - a `DataType` code
   * @param shape - numbers fixed, strings symbolic, undefined unknown
   * @returns the new input
   * @throws {OnnxError} `DUPLICATE_NAME`
   */
  addInput(name: string, elemType: number, shape?: readonly (number | string | undefined)[]): ValueInfoProto {
    this.checkFree(name, 'input');
    const info = createValueInfo(name, elemType, shape);
    this.graph.input.push(info);
    this.refresh();
    return info;
  }

  /**
   * Declares an existing value a graph output.
   *
   * @param name - a value produced in the graph
   * @param elemType - a `DataType` code (0: unknown)
   * @param shape - as for {@link GraphEditor.addInput}
   * @returns the new output
   * @throws {OnnxError} `UNKNOWN_VALUE` when nothing produces the value
   */
  addOutput(name: string, elemType = 0, shape?: readonly (number | string | undefined)[]): ValueInfoProto {
    if (!this.index.producer(name) && !this.index.initializer(name) && !this.index.isGraphInput(name)) {
      throw new OnnxError(
        'UNKNOWN_VALUE',
        `Cannot add output "${name}": no node, input or initializer defines it.`,
        {
          value: name,
        },
      );
    }
    const info = createValueInfo(name, elemType, shape);
    this.graph.output.push(info);
    this.refresh();
    return info;
  }

  /**
   * Adds an initializer to the top-level graph.
   *
   * @param tensor - a tensor whose name no value defines yet (see `createTensor`)
   * @returns the tensor
   * @throws {OnnxError} `DUPLICATE_NAME`
   */
  addInitializer(tensor: TensorProto): TensorProto {
    this.checkFree(tensor.name, 'initializer');
    this.graph.initializer.push(tensor);
    this.refresh();
    return tensor;
  }

  /**
   * Adds a node. Its outputs must not be defined yet (a name only referenced so far may be); its inputs may be
   * any values (checked by {@link GraphEditor.checkTopologicalOrder}).
   *
   * @param spec - the node (see `createNode`) or an existing NodeProto
   * @param options - where to insert it
   * @returns the node as inserted
   * @throws {OnnxError} `DUPLICATE_NAME` for a used output or node name
   */
  addNode(spec: NodeSpec | NodeProto, options: AddNodeOptions = {}): NodeProto {
    const node = 'input' in spec ? spec : createNode(spec);
    for (const out of node.output) if (out !== '') this.checkFree(out, 'node output');
    if (node.name !== '') this.checkFree(node.name, 'node', true);
    const anchor = options.before ?? options.after;
    const graph = anchor ? (this.index.scopeOf(anchor)?.graph ?? this.graph) : this.graph;
    const at = anchor ? graph.node.indexOf(anchor) : -1;
    if (anchor && at < 0) {
      throw new OnnxError(
        'INVALID_ARGUMENT',
        `Cannot insert next to node "${anchor.name}": it is not in the graph.`,
      );
    }
    if (anchor) graph.node.splice(options.before ? at : at + 1, 0, node);
    else graph.node.push(node);
    this.refresh();
    return node;
  }

  /**
   * Removes a node (its outputs must be unused, or be rewired first).
   *
   * @param node - the node
   * @throws {OnnxError} `INVALID_ARGUMENT` when the node is not in the model or its outputs are still used
   */
  removeNode(node: NodeProto): void {
    const graph = this.index.scopeOf(node)?.graph;
    const used = node.output.filter((o) => o !== '' && this.index.uses(o).length > 0);
    if (!graph || used.length > 0) {
      throw new OnnxError(
        'INVALID_ARGUMENT',
        `Cannot remove node "${node.name}": ${graph ? `its outputs ${used.join(', ')} are still used` : 'it is not in the model'}.`,
        { value: node.name },
      );
    }
    graph.node.splice(graph.node.indexOf(node), 1);
    this.refresh();
  }

  /** The node producing a value, if any. */
  producer(name: string): ValueProducer | undefined {
    return this.index.producer(name);
  }

  /** Every use of a value: node inputs (also inside subgraphs) and graph outputs. */
  uses(name: string): readonly ValueUse[] {
    return this.index.uses(name);
  }

  /**
   * Makes uses of `from` read `to` instead (node inputs and, unless filtered, graph outputs are renamed).
   *
   * @param from - the value to replace
   * @param to - the replacement
   * @param options - `where`: only the uses it accepts
   * @returns how many uses changed
   */
  replaceUses(from: string, to: string, options: { where?: (use: ValueUse) => boolean } = {}): number {
    let count = 0;
    for (const use of this.index.uses(from)) {
      if (options.where && !options.where(use)) continue;
      if (use.node) use.node.input[use.index] = to;
      else (use.scope.graph.output[use.index] as ValueInfoProto).name = to;
      count++;
    }
    if (count > 0) this.refresh();
    return count;
  }

  /**
   * Checks that every node's inputs are defined before it (graph inputs, initializers, earlier nodes, or
   * values of enclosing graphs for subgraphs).
   *
   * @throws {OnnxError} `NOT_TOPOLOGICAL` naming the first node that reads an undefined value
   */
  checkTopologicalOrder(): void {
    checkTopologicalOrder(this.graph);
  }

  /**
   * Reorders nodes (in every graph) topologically, keeping the current order where it is free.
   *
   * @throws {OnnxError} `NOT_TOPOLOGICAL` for a cycle or a value nobody defines
   */
  sortTopologically(): void {
    sortTopologically(this.graph);
    this.refresh();
  }
}
