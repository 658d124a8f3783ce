// Entry of the WebAssembly SIMD kernels (AssemblyScript, compiled by `pnpm --filter @peftjs/kernels build:wasm`
// into src/wasm/kernels-wasm.generated.ts). No allocator: the JavaScript side owns the linear memory above
// heapBase() and passes byte offsets.

export { fromF32, toF32 } from './convert';
export { colSumSquares, lowRank, rowSumSquares, scale, widen } from './low-rank';

/** First free byte of linear memory. */
export function heapBase(): usize {
  return __heap_base;
}
