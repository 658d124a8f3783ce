/** @packageDocumentation Node-only extras of @peftjs/kernels: a worker_threads pool that merges big weights on several cores. */
export { createKernelPool, type KernelPool, type KernelPoolOptions } from './node/kernel-pool.js';
