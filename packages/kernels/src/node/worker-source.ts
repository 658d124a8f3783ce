/**
 * Source of a `./node` pool worker (run with `new Worker(source, { eval: true })`, so it needs no file and no
 * TypeScript loader). It instantiates the kernels' WebAssembly module posted in `workerData.module` and runs
 * {@link WasmProgram}s: the same steps as `runProgram` in src/backend/wasm-program.ts, whose views live in
 * SharedArrayBuffers shared with the main thread. @internal
 */
export const WORKER_SOURCE: string = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const x = new WebAssembly.Instance(workerData.module, {}).exports;
const base = (x.heapBase() + 15) & ~15;
const bytes = (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
parentPort.on('message', (msg) => {
  try {
    const missing = base + msg.program.bytes - x.memory.buffer.byteLength;
    if (missing > 0) x.memory.grow(Math.ceil(missing / 65536));
    for (const step of msg.program.steps) {
      if (step.op === 'put') new Uint8Array(x.memory.buffer).set(bytes(step.src), base + step.at);
      else if (step.op === 'get') bytes(step.dst).set(new Uint8Array(x.memory.buffer, base + step.at, step.dst.byteLength));
      else x[step.fn](...step.args.map((a) => (typeof a === 'number' ? a : base + a.at)));
    }
    parentPort.postMessage({ id: msg.id, ok: true });
  } catch (error) {
    parentPort.postMessage({ id: msg.id, ok: false, message: String((error && error.message) || error) });
  }
});
`;
