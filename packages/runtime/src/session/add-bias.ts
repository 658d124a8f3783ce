import { f32ToBf16, f32ToF16 } from '@peftjs/kernels';
import { createTensor, DataType, GraphEditor, type ModelProto, type WeightLocation } from '@peftjs/onnx';
import { AdapterError } from '../errors.js';

/** A bias to give a module the exporter left without one (its base bias was zero and got dropped). @internal */
export interface AddedBias {
  readonly module: string;
  readonly location: WeightLocation;
  /** float32 `[outFeatures]`. */
  readonly values: Float32Array;
}

/**
 * Whether a bias can be added to the module found at `location`: every use is a MatMul or a Gemm without C,
 * reading the weight directly (no Cast on the way). @internal
 */
export function canAddBias(location: WeightLocation): boolean {
  return location.uses.every(
    (u) =>
      u.path.every((n) => n.opType !== 'Cast') &&
      (u.op === 'MatMul' || (u.op === 'Gemm' && (u.node.input[2] ?? '') === '')),
  );
}

/** float32 values in an ONNX float type's layout (f16 / bf16 rounded to nearest even). @internal */
export function typedValues(values: Float32Array, dataType: number): Float32Array | Uint16Array {
  if (dataType === DataType.FLOAT) return values;
  if (dataType === DataType.FLOAT16) return f32ToF16(values) as Uint16Array;
  if (dataType === DataType.BFLOAT16) return f32ToBf16(values) as Uint16Array;
  throw new AdapterError('UNSUPPORTED_FEATURE', `cannot add a bias of ONNX data type ${dataType}`);
}

/**
 * Adds biases to modules exported without one (PEFT's `modules_to_save` copy of a layer whose base bias was
 * zero): Gemm gets a C input, MatMul an Add after it. The nodes are found by name in `model` (a fresh decode of
 * the base the locations were found in).
 *
 * @param model - the model (changed)
 * @param biases - the biases to add
 * @internal
 */
export function addBiases(model: ModelProto, biases: readonly AddedBias[]): void {
  if (biases.length === 0) return;
  const editor = new GraphEditor(model);
  const byName = new Map(model.graph.node.filter((n) => n.name !== '').map((n) => [n.name, n]));
  for (const { module, location, values } of biases) {
    const name = editor.uniqueName(`${module}.bias`);
    editor.addInitializer(
      createTensor(name, location.dataType, [values.length], typedValues(values, location.dataType)),
    );
    for (const use of location.uses) {
      const node = byName.get(use.node.name);
      if (node === undefined) {
        throw new AdapterError(
          'UNSUPPORTED_FEATURE',
          `${module}: cannot add a bias to an unnamed ${use.op} node`,
        );
      }
      if (use.op === 'Gemm') {
        while (node.input.length < 2) node.input.push('');
        node.input[2] = name;
        editor.refresh();
        continue;
      }
      const out = node.output[0] as string;
      const unbiased = editor.uniqueName(`${out}_unbiased`);
      node.output[0] = unbiased;
      editor.refresh();
      editor.addNode(
        {
          opType: 'Add',
          inputs: [unbiased, name],
          outputs: [out],
          name: editor.uniqueName(`${node.name}_bias`),
        },
        { after: node },
      );
    }
  }
}
