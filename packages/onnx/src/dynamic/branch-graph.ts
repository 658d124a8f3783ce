import { OnnxError } from '../errors.js';
import {
  createNode,
  createTensor,
  createValueInfo,
  intAttribute,
  tensorAttribute,
} from '../graph/builders.js';
import type { ModelIndex } from '../graph/model-index.js';
import { type AttributeProto, DataType, type GraphProto, type ModelProto } from '../model/types.js';

/** Prefix of every value and node name the dynamic rewrite adds. */
const PREFIX = 'peft_dynamic/';

/** Per-row slot indices for values whose first dimension runs over rows (see {@link BranchGraph.rowIndex}). */
export interface RowIndex {
  /** int64 `[rows, 1, …, 1]`, one dimension less than the branch output: gathers `[slots, dim]` tables per row. */
  readonly vector: string;
  /** int64 `[rows, 1, …, 1, 1]`, as many dimensions as the branch output: compared with each column's slot. */
  readonly mask: string;
}

/**
 * Emits the nodes of the dynamic rewrite: unique names, shared constants (initializers of the top-level graph,
 * visible in subgraphs), the `adapter_index` input and the per-row slot indices derived from it. Nodes are
 * appended to their graph; the caller sorts the graph topologically at the end. @internal
 */
export class BranchGraph {
  readonly top: GraphProto;
  /** Name of the int64 `[batch]` input; undefined in the uniform variant (no per-row slots). */
  readonly adapterIndex: string | undefined;
  private readonly index: ModelIndex;
  private readonly taken = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly rowCache = new Map<GraphProto, Map<string, RowIndex>>();
  private batch: { shape: string; column: string } | undefined;

  /**
   * @param model - the model being rewritten
   * @param index - an index of it, taken before the rewrite (names it knows stay reserved)
   * @param perRow - whether branches pick a slot per row (adds `adapter_index`) or feed one set for all rows
   */
  constructor(
    model: ModelProto,
    index: ModelIndex,
    readonly perRow = true,
  ) {
    this.top = model.graph;
    this.index = index;
    this.adapterIndex = perRow ? this.input('adapter_index', DataType.INT64, ['adapter_batch']) : undefined;
  }

  /** A name no value or node of the model uses: `peft_dynamic/<base>`, with a suffix when taken. */
  fresh(base: string, prefixed = true): string {
    const stem = prefixed ? `${PREFIX}${base}` : base;
    let name = stem;
    for (let i = 1; this.taken.has(name) || this.index.isNameUsed(name); i++) name = `${stem}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** Adds a required graph input (named `name`, or `name_<n>` when taken) and returns its name. */
  input(name: string, elemType: number, shape: readonly (number | string)[]): string {
    const unique = this.fresh(name, false);
    this.top.input.push(createValueInfo(unique, elemType, shape));
    return unique;
  }

  /** An int64 constant (1-D, or a scalar with `scalar`), shared by every use. */
  int64(values: readonly number[], scalar = false): string {
    const key = `i64${scalar ? 's' : ''}:${values.join(',')}`;
    return this.constant(key, () => {
      const data = BigInt64Array.from(values, (v) => BigInt(v));
      return { dataType: DataType.INT64, dims: scalar ? [] : [values.length], data };
    });
  }

  /** A float32 scalar constant. */
  float(value: number): string {
    return this.constant(`f32:${value}`, () => ({
      dataType: DataType.FLOAT,
      dims: [],
      data: new Float32Array([value]),
    }));
  }

  private constant(
    key: string,
    make: () => { dataType: number; dims: number[]; data: ArrayBufferView },
  ): string {
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const { dataType, dims, data } = make();
    const name = this.fresh(`const/${key.replace(/[^\w.,-]/g, '_')}`);
    this.top.initializer.push(createTensor(name, dataType, dims, data));
    this.constants.set(key, name);
    return name;
  }

  /**
   * Appends a node to `graph` and returns its (first) output.
   *
   * @param graph - the graph that gets the node (the top-level graph or the subgraph of the use)
   * @param opType - an ONNX operator of the default domain
   * @param inputs - input value names
   * @param options - `output`: the output's name (default: a fresh one); `attributes`; `label` for names
   * @returns the output name
   */
  op(
    graph: GraphProto,
    opType: string,
    inputs: readonly string[],
    options: { output?: string; attributes?: readonly AttributeProto[]; label?: string } = {},
  ): string {
    const label = options.label ?? 'branch';
    const output = options.output ?? this.fresh(`${label}/${opType.toLowerCase()}`);
    const name = this.fresh(`${label}/${opType}`);
    graph.node.push(
      createNode({ opType, inputs, outputs: [output], name, attributes: options.attributes ?? [] }),
    );
    return output;
  }

  /** `Cast(value, to)`. */
  cast(graph: GraphProto, value: string, to: number, label: string, output?: string): string {
    return this.op(graph, 'Cast', [value], {
      attributes: [intAttribute('to', to)],
      label,
      ...(output === undefined ? {} : { output }),
    });
  }

  /** `Shape(adapter_index)` and `adapter_index` as a `[batch, 1]` column, in the top-level graph. */
  private batchValues(): { shape: string; column: string } {
    const adapterIndex = this.adapterIndex;
    if (adapterIndex === undefined) {
      throw new OnnxError(
        'INVALID_ARGUMENT',
        'Per-row slot indices need the per-row variant of the rewrite.',
      );
    }
    this.batch ??= {
      shape: this.op(this.top, 'Shape', [adapterIndex], { label: 'rows' }),
      column: this.op(this.top, 'Reshape', [adapterIndex, this.int64([-1, 1])], { label: 'rows' }),
    };
    return this.batch;
  }

  /**
   * Each row's slot for a value whose first dimension is the batch (`[batch, seq, in]`), the batch flattened with
   * other dimensions (`[batch·seq, in]`, as GPT-2 Conv1D and Gemm exports have it), or 1 (broadcast ids).
   * `extraRank` is the number of dimensions the branch output has beyond the value's: 0 for a MatMul input, 1 for
   * a Gather's ids. Computed once per value and graph.
   */
  rowIndex(graph: GraphProto, value: string, extraRank: 0 | 1): RowIndex {
    let cache = this.rowCache.get(graph);
    if (!cache) {
      cache = new Map();
      this.rowCache.set(graph, cache);
    }
    const key = `${extraRank}:${value}`;
    const known = cache.get(key);
    if (known) return known;
    const { shape: batchShape, column } = this.batchValues();
    const op = (type: string, inputs: string[], attributes: AttributeProto[] = []) =>
      this.op(graph, type, inputs, { attributes, label: 'rows' });
    const shape = op('Shape', [value]);
    const rows0 = op('Slice', [shape, this.int64([0]), this.int64([1])]);
    // rows = max(rows0, batch): a value broadcast over the batch (position ids [1, seq]) takes every row's slot
    const rows = op('Max', [rows0, batchShape]);
    const repeat = op('Div', [rows, batchShape]);
    const expanded = op('Expand', [column, op('Concat', [batchShape, repeat], [intAttribute('axis', 0)])]);
    const flat = op('Reshape', [expanded, this.int64([-1])]);
    // [-1, 1, …, 1]: rank(output) − 1 dimensions for `vector`, one more for `mask`
    const rank = op('Shape', [shape]);
    const ones = op(
      'ConstantOfShape',
      [op('Sub', [rank, this.int64([2 - extraRank])])],
      [tensorAttribute('value', createTensor('', DataType.INT64, [1], new BigInt64Array([1n])))],
    );
    const vectorShape = op('Concat', [this.int64([-1]), ones], [intAttribute('axis', 0)]);
    const maskShape = op('Concat', [vectorShape, this.int64([1])], [intAttribute('axis', 0)]);
    const result = {
      vector: op('Reshape', [flat, vectorShape]),
      mask: op('Reshape', [flat, maskShape]),
    };
    cache.set(key, result);
    return result;
  }
}
