/** @packageDocumentation Tensor kernels for PEFT adapters: f16/bf16/f8 conversion, matmul, LoRA/DoRA/IA3/AdaLoRA deltas, merge/unmerge, SVD and PEFT's weighted combinations, in TypeScript and WebAssembly SIMD. */
export {};
