import { f32ToF16 } from '@peftjs/kernels';
import * as ort from 'onnxruntime-node';
import {
  createGraph,
  createModel,
  createNode,
  createTensor,
  createValueInfo,
  intAttribute,
} from '../graph/builders.js';
import { encodeModel } from '../model/codec.js';
import { DataType, type ModelProto } from '../model/types.js';

/** A seeded pseudo-random generator (values in [-1, 1)). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** `n` seeded values. */
export function values(n: number, seed: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: n }, next);
}

/** Sizes and values of the linear module that the inject and uniform tests rewrite (W is PyTorch's `[out, in]`). */
export const IN = 6;
export const OUT = 5;
export const BATCH = 2;
export const SEQ = 3;
export const W = values(OUT * IN, 1);
export const BIAS = values(OUT, 2);
export const X = values(BATCH * SEQ * IN, 3);
/** Two LoRA adapters for that module: A `[r, in]`, B `[out, r]`, rank r and scaling s. */
export const A1 = { a: values(2 * IN, 4), b: values(OUT * 2, 5), r: 2, s: 2 };
export const A2 = { a: values(3 * IN, 6), b: values(OUT * 3, 7), r: 3, s: 0.5 };

/** `y = x · Wᵀ + b` with x `[batch, seq, in]`: as a TorchScript MatMul + Add (W stored `[in, out]`). */
export function matmulModel(inF: number, outF: number, w: Float32Array, b: Float32Array): ModelProto {
  const graph = createGraph('matmul');
  graph.input.push(createValueInfo('x', DataType.FLOAT, ['batch', 'seq', inF]));
  graph.output.push(createValueInfo('y', DataType.FLOAT, ['batch', 'seq', outF]));
  graph.initializer.push(
    createTensor('onnx::MatMul_1', DataType.FLOAT, [inF, outF], transposed(w, outF, inF)),
    createTensor('fc.bias', DataType.FLOAT, [outF], b),
  );
  graph.node.push(
    createNode({ opType: 'MatMul', name: '/fc/MatMul', inputs: ['x', 'onnx::MatMul_1'], outputs: ['h'] }),
    createNode({ opType: 'Add', name: '/fc/Add', inputs: ['h', 'fc.bias'], outputs: ['y'] }),
  );
  return createModel({ graph });
}

/** The same layer as an exporter that flattens rows: Reshape `[-1, in]` → Gemm (`transB=1`, C) → Reshape. */
export function gemmModel(inF: number, outF: number, w: Float32Array, b: Float32Array): ModelProto {
  const graph = createGraph('gemm');
  graph.input.push(createValueInfo('x', DataType.FLOAT, ['batch', 'seq', inF]));
  graph.output.push(createValueInfo('y', DataType.FLOAT, ['batch', 'seq', outF]));
  graph.initializer.push(
    createTensor('fc.weight', DataType.FLOAT, [outF, inF], w),
    createTensor('fc.bias', DataType.FLOAT, [outF], b),
    createTensor('flat', DataType.INT64, [2], new BigInt64Array([-1n, BigInt(inF)])),
    createTensor('minus1', DataType.INT64, [1], new BigInt64Array([-1n])),
  );
  graph.node.push(
    createNode({ opType: 'Shape', inputs: ['x'], outputs: ['xs'], attributes: [intAttribute('end', 2)] }),
    createNode({
      opType: 'Concat',
      inputs: ['xs', 'minus1'],
      outputs: ['ys'],
      attributes: [intAttribute('axis', 0)],
    }),
    createNode({ opType: 'Reshape', inputs: ['x', 'flat'], outputs: ['x2'] }),
    createNode({
      opType: 'Gemm',
      name: '/fc/Gemm',
      inputs: ['x2', 'fc.weight', 'fc.bias'],
      outputs: ['y2'],
      attributes: [intAttribute('transB', 1)],
    }),
    createNode({ opType: 'Reshape', inputs: ['y2', 'ys'], outputs: ['y'] }),
  );
  return createModel({ graph });
}

/** `y = table[ids]` (an nn.Embedding), ids `[batch, seq]`, table `[V, D]`. */
export function embeddingModel(V: number, D: number, table: Float32Array): ModelProto {
  const graph = createGraph('embedding');
  graph.input.push(createValueInfo('ids', DataType.INT64, ['batch', 'seq']));
  graph.output.push(createValueInfo('y', DataType.FLOAT, ['batch', 'seq', D]));
  graph.initializer.push(createTensor('embed.weight', DataType.FLOAT, [V, D], table));
  graph.node.push(
    createNode({ opType: 'Gather', name: '/embed/Gather', inputs: ['embed.weight', 'ids'], outputs: ['y'] }),
  );
  return createModel({ graph });
}

/** Row-major transpose of a `[rows, cols]` matrix. */
export function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c] as number;
  return out;
}

/** A float32 tensor. */
export function f32(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** The int64 adapter index. */
export function index(rows: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(rows, (r) => BigInt(r)),
    [rows.length],
  );
}

/** Runs a model once and returns its first output's values. */
export async function runModel(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const out = await session.run(feeds);
    return out[session.outputNames[0] as string]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

/**
 * Low-rank feeds for `slots`, each a list of `{ a [r, in], b [out, r], s }` terms summed in the slot: A
 * `[in, slots, R]` and B `[slots, R, out]` (scaling folded, ranks zero-padded to the largest slot).
 */
export function lowRankFeeds(
  inF: number,
  outF: number,
  slots: readonly (readonly { a: Float32Array; b: Float32Array; r: number; s: number }[])[],
): { A: ort.Tensor; B: ort.Tensor } {
  const R = Math.max(0, ...slots.map((terms) => terms.reduce((n, t) => n + t.r, 0)));
  const n = slots.length;
  const A = new Float32Array(inF * n * R);
  const B = new Float32Array(n * R * outF);
  slots.forEach((terms, j) => {
    let c = 0;
    for (const { a, b, r, s } of terms) {
      for (let k = 0; k < r; k++, c++) {
        for (let i = 0; i < inF; i++) A[(i * n + j) * R + c] = a[k * inF + i] as number;
        for (let o = 0; o < outF; o++) B[(j * R + c) * outF + o] = s * (b[o * r + k] as number);
      }
    }
  });
  return { A: f32(A, [inF, n, R]), B: f32(B, [n, R, outF]) };
}

/** {@link matmulModel} computing in float16: x is cast to FLOAT16, W and b are FLOAT16, y is cast back. */
export function halfModel(inF: number, outF: number, w: Float32Array, b: Float32Array): ModelProto {
  const graph = createGraph('half');
  graph.input.push(createValueInfo('x', DataType.FLOAT, ['batch', 'seq', inF]));
  graph.output.push(createValueInfo('y', DataType.FLOAT, ['batch', 'seq', outF]));
  graph.initializer.push(
    createTensor('onnx::MatMul_1', DataType.FLOAT16, [inF, outF], f32ToF16(transposed(w, outF, inF))),
    createTensor('fc.bias', DataType.FLOAT16, [outF], f32ToF16(b)),
  );
  const cast = (from: string, to: string, type: number) =>
    createNode({ opType: 'Cast', inputs: [from], outputs: [to], attributes: [intAttribute('to', type)] });
  graph.node.push(
    cast('x', 'x16', DataType.FLOAT16),
    createNode({ opType: 'MatMul', name: '/fc/MatMul', inputs: ['x16', 'onnx::MatMul_1'], outputs: ['h'] }),
    createNode({ opType: 'Add', name: '/fc/Add', inputs: ['h', 'fc.bias'], outputs: ['y16'] }),
    cast('y16', 'y', DataType.FLOAT),
  );
  return createModel({ graph });
}
