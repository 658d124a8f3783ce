/**
 * The torch checkpoint reader throws the package's one error class; these aliases keep its names readable.
 * Codes: BAD_ZIP, UNSUPPORTED_ZIP, BAD_PICKLE, FORBIDDEN_GLOBAL, FORBIDDEN_OPCODE, MISSING_STORAGE, BAD_STORAGE,
 * BAD_TENSOR, UNSUPPORTED_DTYPE, BAD_CHECKPOINT, LIMIT_EXCEEDED (see {@link SafetensorsErrorCode}).
 */
export {
  SafetensorsError as TorchLoadError,
  type SafetensorsErrorCode as TorchLoadErrorCode,
} from '../errors.js';
