import { OnnxError } from '../errors.js';
import type { GraphProto, NodeProto } from '../model/types.js';

function subgraphs(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const a of node.attribute) {
    if (a.g) out.push(a.g);
    out.push(...a.graphs);
  }
  return out;
}

function nodeLabel(node: NodeProto): string {
  return node.name ? `"${node.name}" (${node.opType})` : `an unnamed ${node.opType} node`;
}

/**
 * Checks that every node of the graph (and, recursively, of its subgraphs) reads only values defined before
 * it: graph inputs, initializers, earlier outputs, or values of enclosing graphs.
 *
 * @param graph - the graph
 * @param outer - values visible from enclosing graphs
 * @throws {OnnxError} `NOT_TOPOLOGICAL` naming the first offending node and value
 * @internal
 */
export function checkTopologicalOrder(graph: GraphProto, outer: ReadonlySet<string> = new Set()): void {
  const defined = new Set(outer);
  for (const i of graph.input) defined.add(i.name);
  for (const t of graph.initializer) defined.add(t.name);
  graph.node.forEach((node, position) => {
    for (const input of node.input) {
      if (input !== '' && !defined.has(input)) {
        throw new OnnxError(
          'NOT_TOPOLOGICAL',
          `Node ${nodeLabel(node)} at position ${position} of graph "${graph.name}" reads "${input}" before anything defines it.`,
          { value: input },
        );
      }
    }
    for (const sub of subgraphs(node)) checkTopologicalOrder(sub, defined);
    for (const out of node.output) if (out !== '') defined.add(out);
  });
  for (const o of graph.output) {
    if (!defined.has(o.name)) {
      throw new OnnxError(
        'NOT_TOPOLOGICAL',
        `Output "${o.name}" of graph "${graph.name}" is never defined.`,
        {
          value: o.name,
        },
      );
    }
  }
}

/** Names a graph reads from enclosing scopes (used but not defined inside it). */
function freeVariables(graph: GraphProto): Set<string> {
  const defined = new Set<string>([
    ...graph.input.map((i) => i.name),
    ...graph.initializer.map((t) => t.name),
  ]);
  for (const node of graph.node) for (const out of node.output) defined.add(out);
  const free = new Set<string>();
  for (const node of graph.node) {
    for (const input of node.input) if (input !== '' && !defined.has(input)) free.add(input);
    for (const sub of subgraphs(node))
      for (const name of freeVariables(sub)) if (!defined.has(name)) free.add(name);
  }
  for (const o of graph.output) if (!defined.has(o.name)) free.add(o.name);
  return free;
}

/** A binary min-heap of node positions, so the sort keeps the original order wherever it can. */
class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if ((a[p] as number) <= v) break;
      a[i] = a[p] as number;
      a[p] = v;
      i = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0] as number;
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && (a[l] as number) < (a[m] as number)) m = l;
        if (r < a.length && (a[r] as number) < (a[m] as number)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as number, a[i] as number];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Reorders the nodes of a graph and its subgraphs topologically (stable: the original order is kept
 * wherever dependencies allow). A node depends on its inputs and on the outer values its subgraphs read.
 *
 * @param graph - the graph (changed in place)
 * @throws {OnnxError} `NOT_TOPOLOGICAL` for a cycle
 * @internal
 */
export function sortTopologically(graph: GraphProto): void {
  for (const node of graph.node) for (const sub of subgraphs(node)) sortTopologically(sub);
  const producerOf = new Map<string, number>();
  graph.node.forEach((node, i) => {
    for (const out of node.output) if (out !== '') producerOf.set(out, i);
  });
  const pending = graph.node.map(() => 0);
  const dependents: number[][] = graph.node.map(() => []);
  graph.node.forEach((node, i) => {
    const needs = new Set(node.input.filter((n) => n !== ''));
    for (const sub of subgraphs(node)) for (const name of freeVariables(sub)) needs.add(name);
    for (const name of needs) {
      const p = producerOf.get(name);
      if (p === undefined) continue;
      pending[i] = (pending[i] as number) + 1;
      (dependents[p] as number[]).push(i);
    }
  });
  const ready = new MinHeap();
  pending.forEach((n, i) => {
    if (n === 0) ready.push(i);
  });
  const order: NodeProto[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(graph.node[i] as NodeProto);
    for (const d of dependents[i] as number[]) {
      pending[d] = (pending[d] as number) - 1;
      if (pending[d] === 0) ready.push(d);
    }
  }
  if (order.length !== graph.node.length) {
    const stuck = graph.node.find((_, i) => (pending[i] as number) > 0) as NodeProto;
    throw new OnnxError(
      'NOT_TOPOLOGICAL',
      `The graph "${graph.name}" has a cycle through node ${nodeLabel(stuck)}.`,
      {
        value: stuck.name,
      },
    );
  }
  graph.node.splice(0, graph.node.length, ...order);
}
