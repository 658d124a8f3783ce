// A Llama-like decoder built in memory for `large-decoder.bench.ts`, laid out as a TorchScript export writes it:
// every nn.Linear weight is an anonymous initializer stored transposed ([in, out]) and read by a MatMul named after
// the module's scope (`/model/layers.3/self_attn/q_proj/MatMul`), so `WeightLocator` finds it by node scope.
import {
  createGraph,
  createModel,
  createNode,
  createTensor,
  createValueInfo,
  DataType,
  type GraphProto,
  intAttribute,
  intsAttribute,
  writeModel,
} from '@peftjs/onnx';
import type { OnnxModelBytes } from '../../src/index.js';

/** Sizes of the generated decoder. */
export interface DecoderShape {
  /** Decoder layers. */
  readonly layers: number;
  /** Hidden size (q/k/v/o are hidden × hidden; one attention head). */
  readonly hidden: number;
  /** MLP size (gate/up: hidden → intermediate, down: intermediate → hidden). */
  readonly intermediate: number;
  /** Vocabulary (embedding rows and lm_head outputs). */
  readonly vocab: number;
}

/** The seven linear projections of a layer, as PEFT module suffixes with their [in, out] sizes. */
export function layerProjections(shape: DecoderShape): { suffix: string; inF: number; outF: number }[] {
  const { hidden: h, intermediate: m } = shape;
  return [
    { suffix: 'self_attn.q_proj', inF: h, outF: h },
    { suffix: 'self_attn.k_proj', inF: h, outF: h },
    { suffix: 'self_attn.v_proj', inF: h, outF: h },
    { suffix: 'self_attn.o_proj', inF: h, outF: h },
    { suffix: 'mlp.gate_proj', inF: h, outF: m },
    { suffix: 'mlp.up_proj', inF: h, outF: m },
    { suffix: 'mlp.down_proj', inF: m, outF: h },
  ];
}

/**
 * A seeded PRNG (xorshift32) filling arrays with values of mean 0 and standard deviation `std` (uniform).
 *
 * @param seed - non-zero 32-bit seed
 * @returns a function filling `n` values
 */
export function seededFill(seed: number): (n: number, std: number) => Float32Array {
  let s = seed >>> 0 || 1;
  return (n, std) => {
    const out = new Float32Array(n);
    const scale = (std * Math.sqrt(3) * 2) / 4294967296;
    const half = std * Math.sqrt(3);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = (s >>> 0) * scale - half;
    }
    return out;
  };
}

/**
 * Builds the decoder (f32 weights of std 0.02 from `seed`) and writes it with its weights in one external file.
 *
 * @param shape - sizes
 * @param seed - PRNG seed
 * @returns the `.onnx` bytes and its external data, for `AdapterSession.create`
 */
export async function buildDecoder(shape: DecoderShape, seed = 1234): Promise<OnnxModelBytes> {
  const fill = seededFill(seed);
  const { hidden: h, vocab } = shape;
  const graph = createGraph('large_decoder');
  graph.input.push(createValueInfo('input_ids', DataType.INT64, ['batch', 'seq']));
  graph.output.push(createValueInfo('logits', DataType.FLOAT, ['batch', 'seq', vocab]));
  let anon = 0;
  const init = (name: string, dims: number[], data: Float32Array): string => {
    graph.initializer.push(createTensor(name, DataType.FLOAT, dims, data));
    return name;
  };
  const scalar = (name: string, value: number): string => init(name, [], new Float32Array([value]));
  const two = scalar('const_two', 2);
  const eps = scalar('const_eps', 1e-6);
  const attnScale = scalar('const_attn_scale', 1 / Math.sqrt(h));
  const node = (
    opType: string,
    name: string,
    inputs: string[],
    attributes = [] as ReturnType<typeof intAttribute>[],
  ) => {
    const out = `${name}_output_0`;
    graph.node.push(createNode({ opType, name, inputs, outputs: [out], attributes }));
    return out;
  };
  const linear = (scope: string, x: string, inF: number, outF: number): string => {
    const w = init(`onnx::MatMul_${++anon}`, [inF, outF], fill(inF * outF, 0.02));
    return node('MatMul', `${scope}/MatMul`, [x, w]);
  };
  const rmsNorm = (scope: string, module: string, x: string): string => {
    const sq = node('Pow', `${scope}/Pow`, [x, two]);
    const mean = node(
      'ReduceMean',
      `${scope}/ReduceMean`,
      [sq],
      [intsAttribute('axes', [-1]), intAttribute('keepdims', 1)],
    );
    const rms = node('Sqrt', `${scope}/Sqrt`, [node('Add', `${scope}/Add`, [mean, eps])]);
    const normed = node('Div', `${scope}/Div`, [x, rms]);
    const weight = init(`${module}.weight`, [h], new Float32Array(h).fill(1));
    return node('Mul', `${scope}/Mul`, [normed, weight]);
  };
  const embed = init('model.embed_tokens.weight', [vocab, h], fill(vocab * h, 0.02));
  let x = node('Gather', '/model/embed_tokens/Gather', [embed, 'input_ids']);
  for (let i = 0; i < shape.layers; i++) {
    const scope = `/model/layers.${i}`;
    const module = `model.layers.${i}`;
    const [q, k, v, o, gate, up, down] = layerProjections(shape).map((p) => ({
      ...p,
      scope: `${scope}/${p.suffix.replace('.', '/')}`,
    })) as { scope: string; inF: number; outF: number }[] as [Proj, Proj, Proj, Proj, Proj, Proj, Proj];
    const n1 = rmsNorm(`${scope}/input_layernorm`, `${module}.input_layernorm`, x);
    const qv = linear(q.scope, n1, q.inF, q.outF);
    const kv = linear(k.scope, n1, k.inF, k.outF);
    const vv = linear(v.scope, n1, v.inF, v.outF);
    const kt = node('Transpose', `${scope}/self_attn/Transpose`, [kv], [intsAttribute('perm', [0, 2, 1])]);
    const scores = node('Mul', `${scope}/self_attn/Mul`, [
      node('MatMul', `${scope}/self_attn/MatMul`, [qv, kt]),
      attnScale,
    ]);
    const probs = node('Softmax', `${scope}/self_attn/Softmax`, [scores], [intAttribute('axis', -1)]);
    const ctx = node('MatMul', `${scope}/self_attn/MatMul_1`, [probs, vv]);
    x = node('Add', `${scope}/Add`, [x, linear(o.scope, ctx, o.inF, o.outF)]);
    const n2 = rmsNorm(`${scope}/post_attention_layernorm`, `${module}.post_attention_layernorm`, x);
    const g = linear(gate.scope, n2, gate.inF, gate.outF);
    const silu = node('Mul', `${scope}/mlp/act_fn/Mul`, [
      g,
      node('Sigmoid', `${scope}/mlp/act_fn/Sigmoid`, [g]),
    ]);
    const hidden = node('Mul', `${scope}/mlp/Mul`, [silu, linear(up.scope, n2, up.inF, up.outF)]);
    x = node('Add', `${scope}/Add_1`, [x, linear(down.scope, hidden, down.inF, down.outF)]);
  }
  const last = linear('/lm_head', rmsNorm('/model/norm', 'model.norm', x), h, vocab);
  renameOutput(graph, last, 'logits');
  const written = await writeModel(createModel({ graph }), {
    externalData: { location: 'model.onnx.data' },
  });
  return { bytes: written.model, externalData: written.externalData };
}

interface Proj {
  readonly scope: string;
  readonly inF: number;
  readonly outF: number;
}

function renameOutput(graph: GraphProto, from: string, to: string): void {
  for (const n of graph.node) n.output = n.output.map((o) => (o === from ? to : o));
}
