import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '@peftjs/kernels';
import {
  DataType,
  type ExternalDataSource,
  type ModelProto,
  readTensorFloat32,
  type WeightLocation,
} from '@peftjs/onnx';
import type { BaseCheckpoint } from '../base-checkpoint.js';

/**
 * The half type a float32 ONNX weight really holds: exporters fold `Cast(W_f16 → f32)` into a float32 initializer
 * (TorchScript does for a Llama's `o_proj` in float16), while PEFT merges the float16 parameter. Merging such a
 * weight in that type keeps the result bit-identical to PEFT's.
 * @internal
 */
export type HalfStorage = 'f16' | 'bf16';

/**
 * The checkpoint dtype of `<module>.weight` (or with its first segment dropped / `model.` added).
 * @internal
 */
export function checkpointName(base: BaseCheckpoint, module: string, param = 'weight'): string | undefined {
  const want = `${module}.${param}`;
  const rest = want.slice(want.indexOf('.') + 1);
  return [want, rest, `model.${want}`].find((n) => base.has(n));
}

function roundTrips(values: Float32Array, half: HalfStorage): boolean {
  const back =
    half === 'f16' ? f16ToF32(f32ToF16(values) as Uint16Array) : bf16ToF32(f32ToBf16(values) as Uint16Array);
  for (let i = 0; i < values.length; i++) {
    if (!Object.is(back[i], values[i])) return false;
  }
  return true;
}

/**
 * Decides whether a float32 weight holds a half-precision parameter: from the base checkpoint's dtype when given,
 * else when the model's other weights are of one half type and every value of this one is exactly of that type.
 * @internal
 */
export async function halfStorageOf(
  location: WeightLocation,
  model: ModelProto,
  source: ExternalDataSource,
  base: BaseCheckpoint | undefined,
): Promise<HalfStorage | undefined> {
  if (location.dataType !== DataType.FLOAT) return undefined;
  if (base !== undefined) {
    const name = checkpointName(base, location.module);
    if (name !== undefined) {
      const dtype = base.info(name).dtype;
      return dtype === 'F16' ? 'f16' : dtype === 'BF16' ? 'bf16' : undefined;
    }
  }
  const types = new Set(model.graph.initializer.map((t) => t.dataType));
  const half: HalfStorage | undefined = types.has(DataType.FLOAT16)
    ? 'f16'
    : types.has(DataType.BFLOAT16)
      ? 'bf16'
      : undefined;
  if (half === undefined) return undefined;
  return roundTrips(await readTensorFloat32(location.tensor, source), half) ? half : undefined;
}

/**
 * Runs `merge` on a float32 buffer as if it were stored in `half`: the values (exactly of that type) are narrowed,
 * merged by the half-precision kernels, and widened back.
 * @internal
 */
export async function inHalf(
  data: Float32Array,
  half: HalfStorage,
  merge: (bits: Uint16Array) => Promise<void>,
): Promise<void> {
  const bits = (half === 'f16' ? f32ToF16(data) : f32ToBf16(data)) as Uint16Array;
  await merge(bits);
  data.set(half === 'f16' ? f16ToF32(bits) : bf16ToF32(bits));
}

/**
 * Rounds values to `half` (what PEFT's `load_state_dict` does when copying them into a half parameter).
 * @internal
 */
export function roundTo(values: Float32Array, half: HalfStorage | undefined): Float32Array {
  if (half === undefined) return values;
  return half === 'f16'
    ? f16ToF32(f32ToF16(values) as Uint16Array)
    : bf16ToF32(f32ToBf16(values) as Uint16Array);
}
