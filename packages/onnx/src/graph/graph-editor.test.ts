import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import { decodeModel, encodeModel } from '../model/codec.js';
import { DataType, type ModelProto, type NodeProto } from '../model/types.js';
import {
  createGraph,
  createModel,
  createNode,
  createTensor,
  createValueInfo,
  floatAttribute,
  graphAttribute,
  intAttribute,
} from './builders.js';
import { GraphEditor } from './graph-editor.js';
import { ModelIndex } from './model-index.js';

/** y = x · W with W [3, 2] (a MatMul's B, stored [in, out]). */
function linearModel(): ModelProto {
  const graph = createGraph('linear');
  graph.input.push(createValueInfo('x', DataType.FLOAT, ['batch', 3]));
  graph.output.push(createValueInfo('y', DataType.FLOAT, ['batch', 2]));
  graph.initializer.push(createTensor('W', DataType.FLOAT, [3, 2], new Float32Array([1, 2, 3, 4, 5, 6])));
  graph.node.push(createNode({ opType: 'MatMul', name: '/fc/MatMul', inputs: ['x', 'W'], outputs: ['y'] }));
  return createModel({ graph });
}

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return isOnnxError(e) ? e.code : e;
  }
  return 'no error';
}

async function run(
  model: ModelProto,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  const out = await session.run(feeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

describe('GraphEditor', () => {
  it('adds a LoRA branch fed at run time: y = x·W + (x·A)·B', async () => {
    const model = decodeModel(encodeModel(linearModel()));
    const editor = new GraphEditor(model);
    editor.addInput('lora.A', DataType.FLOAT, [3, 'r']);
    editor.addInput('lora.B', DataType.FLOAT, ['r', 2]);
    const base = editor.uniqueName('y');
    expect(base).toBe('y_1');
    const matmul = editor.index.producer('y')?.node as NodeProto;
    // the base MatMul now writes y_1; the branch adds to it and writes y, so downstream is unchanged
    matmul.output[0] = base;
    editor.refresh();
    editor.addNode({ opType: 'Add', inputs: [base, 'lora.down.up'], outputs: ['y'] }, { after: matmul });
    editor.addNode({ opType: 'MatMul', inputs: ['x', 'lora.A'], outputs: ['lora.down'] });
    editor.addNode({ opType: 'MatMul', inputs: ['lora.down', 'lora.B'], outputs: ['lora.down.up'] });
    expect(codeOf(() => editor.checkTopologicalOrder())).toBe('NOT_TOPOLOGICAL');
    editor.sortTopologically();
    editor.checkTopologicalOrder();
    expect(model.graph.node.map((n) => n.output[0])).toEqual([base, 'lora.down', 'lora.down.up', 'y']);
    const x = new ort.Tensor('float32', new Float32Array([1, 0, -1, 2, 1, 0]), [2, 3]);
    const A = new ort.Tensor('float32', new Float32Array([1, 0, 2]), [3, 1]);
    const B = new ort.Tensor('float32', new Float32Array([0.5, -1]), [1, 2]);
    const { y } = await run(decodeModel(encodeModel(model)), { x, 'lora.A': A, 'lora.B': B });
    // x·W = [[-4, -4], [5, 8]]; x·A = [[-1], [2]]; (x·A)·B = [[-0.5, 1], [1, -2]]
    expect(Array.from(y as Float32Array)).toEqual([-4.5, -3, 6, 6]);
    // rank 0 disables the branch: zero-sized feeds add nothing
    const empty = await run(model, {
      x,
      'lora.A': new ort.Tensor('float32', new Float32Array(0), [3, 0]),
      'lora.B': new ort.Tensor('float32', new Float32Array(0), [0, 2]),
    });
    expect(Array.from(empty.y as Float32Array)).toEqual([-4, -4, 5, 8]);
  });

  it('replaces uses selectively and refuses duplicate names and undefined values', () => {
    const model = linearModel();
    const editor = new GraphEditor(model);
    const scaled = editor.addNode({
      opType: 'Mul',
      inputs: ['y', 'two'],
      outputs: ['y_scaled'],
      name: 'scale',
    });
    editor.addInitializer(createTensor('two', DataType.FLOAT, [], new Float32Array([2])));
    expect(editor.replaceUses('y', 'y_scaled', { where: (use) => use.node !== scaled })).toBe(1);
    expect(model.graph.output[0]?.name).toBe('y_scaled');
    expect(scaled.input).toEqual(['y', 'two']);
    expect(codeOf(() => editor.addInput('x', DataType.FLOAT))).toBe('DUPLICATE_NAME');
    expect(codeOf(() => editor.addNode({ opType: 'Relu', inputs: ['x'], outputs: ['y'] }))).toBe(
      'DUPLICATE_NAME',
    );
    expect(
      codeOf(() => editor.addNode({ opType: 'Relu', inputs: ['x'], outputs: ['r'], name: 'scale' })),
    ).toBe('DUPLICATE_NAME');
    expect(codeOf(() => editor.addOutput('nowhere'))).toBe('UNKNOWN_VALUE');
    expect(codeOf(() => editor.removeNode(scaled))).toBe('INVALID_ARGUMENT');
    editor.addOutput('y', DataType.FLOAT);
    expect(model.graph.output.map((o) => o.name)).toEqual(['y_scaled', 'y']);
  });

  it('sees uses inside If branches and orders their outer inputs first', async () => {
    const graph = createGraph('cond');
    graph.input.push(createValueInfo('flag', DataType.BOOL, []), createValueInfo('x', DataType.FLOAT, [2]));
    graph.output.push(createValueInfo('out', DataType.FLOAT, [2]));
    const branch = (name: string, op: string) => {
      const g = createGraph(name);
      g.output.push(createValueInfo(`${name}_out`, DataType.FLOAT, [2]));
      g.node.push(createNode({ opType: op, inputs: ['doubled'], outputs: [`${name}_out`] }));
      return g;
    };
    // the If reads "doubled" from the outer graph, but its producer comes later in the list
    graph.node.push(
      createNode({
        opType: 'If',
        name: 'if',
        inputs: ['flag'],
        outputs: ['out'],
        attributes: [
          graphAttribute('then_branch', branch('then', 'Relu')),
          graphAttribute('else_branch', branch('else', 'Neg')),
        ],
      }),
      createNode({ opType: 'Add', name: 'double', inputs: ['x', 'x'], outputs: ['doubled'] }),
    );
    const model = createModel({ graph });
    const index = new ModelIndex(model.graph);
    expect(index.uses('doubled').map((u) => u.scope.path)).toEqual(['if/then_branch', 'if/else_branch']);
    const editor = new GraphEditor(model);
    expect(codeOf(() => editor.checkTopologicalOrder())).toBe('NOT_TOPOLOGICAL');
    editor.sortTopologically();
    expect(model.graph.node.map((n) => n.name)).toEqual(['double', 'if']);
    const x = new ort.Tensor('float32', new Float32Array([1, -2]), [2]);
    const yes = await run(model, { flag: new ort.Tensor('bool', new Uint8Array([1]), []), x });
    const no = await run(model, { flag: new ort.Tensor('bool', new Uint8Array([0]), []), x });
    expect([Array.from(yes.out as Float32Array), Array.from(no.out as Float32Array)]).toEqual([
      [2, 0],
      [-2, 4],
    ]);
  });

  it('reports cycles', () => {
    const graph = createGraph('cycle');
    graph.input.push(createValueInfo('x', DataType.FLOAT, [1]));
    graph.node.push(
      createNode({ opType: 'Add', name: 'a', inputs: ['x', 'b_out'], outputs: ['a_out'] }),
      createNode({ opType: 'Relu', name: 'b', inputs: ['a_out'], outputs: ['b_out'] }),
    );
    const error = codeOf(() => new GraphEditor(graph).sortTopologically());
    expect(error).toBe('NOT_TOPOLOGICAL');
  });

  it('builds attributes that onnxruntime reads (Gemm alpha/transB)', async () => {
    const graph = createGraph('gemm');
    graph.input.push(createValueInfo('x', DataType.FLOAT, [1, 2]));
    graph.output.push(createValueInfo('y', DataType.FLOAT, [1, 2]));
    graph.initializer.push(createTensor('W', DataType.FLOAT, [2, 2], new Float32Array([1, 2, 3, 4])));
    graph.node.push(
      createNode({
        opType: 'Gemm',
        inputs: ['x', 'W'],
        outputs: ['y'],
        attributes: [intAttribute('transB', 1), floatAttribute('alpha', 0.5)],
      }),
    );
    const { y } = await run(createModel({ graph }), {
      x: new ort.Tensor('float32', new Float32Array([1, 1]), [1, 2]),
    });
    expect(Array.from(y as Float32Array)).toEqual([1.5, 3.5]);
  });
});
