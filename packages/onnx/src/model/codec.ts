import { OnnxError } from '../errors.js';
import { decodeMessage, type EncodeContext, encodeMessage } from '../proto/message.js';
import { ProtoWriter } from '../proto/writer.js';
import { modelSchema } from './schemas.js';
import type { ModelProto } from './types.js';

/** Protobuf's size limit for one message, in bytes (2 GiB); larger models must keep weights external. */
export const MAX_PROTO_BYTES: number = 2 ** 31; // 2 GiB

/** Options of {@link encodeModel}. */
export interface EncodeModelOptions {
  /**
   * Called for every message before it is written; return another object of the same type to write that
   * instead (the model itself is not changed). Used to re-lay-out tensor data.
   */
  substitute?: (message: object) => object;
}

/**
 * Decodes an ONNX model (`.onnx` bytes). Tensor payloads stay views into `bytes` (nothing is copied), and
 * every field the object model does not know is kept to be written back unchanged.
 *
 * @param bytes - the serialized `ModelProto`
 * @returns the model; external data is not read (see `readTensorData`)
 * @throws {OnnxError} `INVALID_PROTOBUF` for malformed bytes or a model without a graph
 * @example
 * ```ts
 * const model = decodeModel(new Uint8Array(await (await fetch('model.onnx')).arrayBuffer()));
 * console.log(model.graph.node.length);
 * ```
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const model = decodeMessage(modelSchema, bytes);
  if (model.graph === undefined) {
    throw new OnnxError('INVALID_PROTOBUF', 'Failed to decode the model: ModelProto has no graph (field 7).');
  }
  return model;
}

function writeModel(model: ModelProto, options: EncodeModelOptions): ProtoWriter {
  const w = new ProtoWriter();
  const ctx: EncodeContext = options.substitute ? { substitute: options.substitute } : {};
  encodeMessage(modelSchema, model, w, ctx);
  if (w.length >= MAX_PROTO_BYTES) {
    throw new OnnxError(
      'MODEL_TOO_LARGE',
      `Failed to encode the model: it is ${w.length} bytes, protobuf's limit is ${MAX_PROTO_BYTES}; write the weights as external data (writeModel with externalData).`,
      { value: w.length },
    );
  }
  return w;
}

/**
 * Encodes a model to `.onnx` bytes. A model decoded and not changed encodes to exactly its input bytes;
 * changed fields are re-encoded in place, unknown fields are kept.
 *
 * @param model - the model
 * @param options - see {@link EncodeModelOptions}
 * @returns the serialized `ModelProto`
 * @throws {OnnxError} `MODEL_TOO_LARGE` at 2 GiB or more
 * @example
 * ```ts
 * const same = encodeModel(decodeModel(bytes)); // identical to bytes
 * ```
 */
export function encodeModel(model: ModelProto, options: EncodeModelOptions = {}): Uint8Array {
  return writeModel(model, options).finish();
}

/**
 * Encodes a model as a list of chunks whose concatenation is {@link encodeModel}'s output, without building
 * one buffer (tensor payloads stay views), e.g. to stream a large model to a file.
 *
 * @param model - the model
 * @param options - see {@link EncodeModelOptions}
 * @returns the chunks, in order
 * @throws {OnnxError} `MODEL_TOO_LARGE` at 2 GiB or more
 */
export function encodeModelChunks(model: ModelProto, options: EncodeModelOptions = {}): Uint8Array[] {
  return writeModel(model, options).chunks();
}
