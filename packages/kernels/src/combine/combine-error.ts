/**
 * Aliases kept for callers of the combine module: the combine kernels throw the package's one error class,
 * {@link KernelError}, whose codes include the combination codes (`UNKNOWN_COMBINATION`, `RANK_MISMATCH`, …).
 */
export {
  isKernelError as isCombineError,
  KernelError as CombineError,
  type KernelErrorCode as CombineErrorCode,
  type KernelErrorOptions as CombineErrorOptions,
} from '../errors.js';
