/** @packageDocumentation Tensor kernels for PEFT adapters: f16/bf16/f8 conversion, matmul, LoRA/DoRA/IA3/AdaLoRA deltas, merge/unmerge, SVD and PEFT's weighted combinations, in TypeScript and WebAssembly SIMD. */

export { type AdaloraLinear, adaloraDelta, mergeAdalora, unmergeAdalora } from './adalora.js';
export type { BackendChoice, BackendName, KernelOptions } from './backend/backend.js';
export { defaultBackend, initWasm } from './backend/select-backend.js';
export * from './combine/index.js';
export {
  bf16ToF32,
  type ConvertOptions,
  f8e4m3fnToF32,
  f8e5m2ToF32,
  f16ToF32,
  f32ToBf16,
  f32ToF8e4m3fn,
  f32ToF8e5m2,
  f32ToF16,
  fromFloat32,
  toFloat32,
} from './convert/convert.js';
export {
  f8e4m3fnBitsToF32Bits,
  f8e5m2BitsToF32Bits,
  f32BitsToF8e4m3fnBits,
  f32BitsToF8e5m2Bits,
} from './convert/fp8.js';
export { bf16BitsToF32Bits, f16BitsToF32Bits, f32BitsToBf16Bits, f32BitsToF16Bits } from './convert/half.js';
export {
  type DoraEmbedding,
  type DoraLinear,
  doraEmbeddingFactor,
  doraFactor,
  doraWeightNorm,
  mergeDora,
  mergeDoraEmbedding,
  unmergeDora,
  unmergeDoraEmbedding,
} from './dora.js';
export {
  FLOAT_DTYPES,
  type FloatArray,
  type FloatBuffer,
  type FloatDtype,
  isFloatDtype,
  type Weight,
} from './dtype.js';
export { isKernelError, KernelError, type KernelErrorCode, type KernelErrorOptions } from './errors.js';
export { type Ia3Vector, mergeIa3, mergeIa3Bias, unmergeIa3, unmergeIa3Bias } from './ia3.js';
export {
  type LoraEmbedding,
  loraDelta,
  loraEmbeddingDelta,
  mergeLora,
  mergeLoraBias,
  mergeLoraEmbedding,
  unmergeLora,
  unmergeLoraBias,
  unmergeLoraEmbedding,
} from './lora.js';
export type { LoraLinear } from './low-rank.js';
export { type MatmulOptions, matmul, transpose } from './matmul.js';
