import { DataType, type ModelProto } from '../model/types.js';
import {
  createGraph,
  createModel,
  createNode,
  createTensor,
  createValueInfo,
  graphAttribute,
} from './builders.js';

/**
 * An optimum-style merged decoder in miniature: `y = If(flag, with_past, no_past)`, where both branches compute
 * `x · W` with module `model.fc` reading one top-level initializer `onnx::MatMul_1` stored `[in, out]`.
 *
 * @param flag - name of the BOOL scalar input that picks the branch
 * @param rows - rows of `x` (`[rows, in]`) and `y` (`[rows, out]`)
 * @param weight - W as stored, `[in, out]` row-major
 * @param inF - in features
 * @param outF - out features
 */
export function branchedModel(
  flag: string,
  rows: number,
  weight: Float32Array,
  inF: number,
  outF: number,
): ModelProto {
  const graph = createGraph('branched');
  graph.input.push(
    createValueInfo(flag, DataType.BOOL, []),
    createValueInfo('x', DataType.FLOAT, [rows, inF]),
  );
  graph.output.push(createValueInfo('y', DataType.FLOAT, [rows, outF]));
  graph.initializer.push(createTensor('onnx::MatMul_1', DataType.FLOAT, [inF, outF], weight));
  const branch = (name: string) => {
    const g = createGraph(name);
    g.output.push(createValueInfo(`${name}_y`, DataType.FLOAT, [rows, outF]));
    g.node.push(
      createNode({
        opType: 'MatMul',
        name: `/${name}/model/fc/MatMul`,
        inputs: ['x', 'onnx::MatMul_1'],
        outputs: [`${name}_y`],
      }),
    );
    return g;
  };
  graph.node.push(
    createNode({
      opType: 'If',
      name: 'optimum::if',
      inputs: [flag],
      outputs: ['y'],
      attributes: [
        graphAttribute('then_branch', branch('with_past')),
        graphAttribute('else_branch', branch('no_past')),
      ],
    }),
  );
  return createModel({ graph });
}
