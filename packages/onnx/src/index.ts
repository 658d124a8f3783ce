/** @packageDocumentation ONNX models for PEFT adapters: protobuf read/write with external data, finding each PEFT module's weight in any export, merging deltas into initializers, and injecting adapter branches fed at run time. */
export {};
