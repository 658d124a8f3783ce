/** @packageDocumentation peftjs for Node: files, worker threads and onnxruntime-node plugged into @peftjs/runtime. */
export {};
