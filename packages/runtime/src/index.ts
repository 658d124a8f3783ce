/** @packageDocumentation The backend-agnostic core of peftjs: Adapter, BaseCheckpoint, merging and combining PEFT adapters, sessions with PEFT's adapter API (ONNX Runtime and file access injected). */
export {};
