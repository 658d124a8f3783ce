import { statSync } from 'node:fs';
import { join } from 'node:path';
import { mergeAdapterToDirectory } from '@peftjs/runtime-node';
import { existingDirectory, parseFlags, required } from '../args.js';
import { bytes, count, num, progress } from '../format.js';
import type { Command } from '../io.js';

const usage = `usage: peftjs merge --base <model dir> --adapter <adapter dir> --out <dir> [--overwrite] [--json]

Merges a PEFT adapter into its base model, as PEFT's merge_and_unload() + save_pretrained(): the output has
the base's tensor names, dtypes and sharding (and index), and the base folder's other files (config,
generation config, tokenizer) copied. Nothing is left in --out when it fails.

  --base <dir>      the base model folder (model.safetensors, or shards with model.safetensors.index.json)
  --adapter <dir>   the PEFT adapter folder (adapter_config.json + adapter_model.safetensors or .bin)
  --out <dir>       where the merged model goes (created)
  --overwrite       replace files already in --out
  --json            print one JSON object instead of the summary`;

/** `peftjs merge`: writes base + adapter merged into a new model folder. */
export const merge: Command = {
  name: 'merge',
  summary: 'merge an adapter into its base model and write the merged checkpoint',
  usage,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        base: { type: 'string' },
        adapter: { type: 'string' },
        out: { type: 'string' },
        overwrite: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const baseDir = existingDirectory(required(values, 'base'), '--base folder');
    const adapterDir = existingDirectory(required(values, 'adapter'), '--adapter folder');
    const outDir = required(values, 'out');

    const started = performance.now();
    const bar = progress(io.stderr, 'merging');
    let result: Awaited<ReturnType<typeof mergeAdapterToDirectory>>;
    try {
      result = await mergeAdapterToDirectory({
        baseDir,
        adapterDir,
        outDir,
        overwrite: values.overwrite === true,
        onProgress: (p) => bar.update(p.done, p.total, p.tensor),
      });
    } finally {
      bar.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const weightFiles = [
      ...result.weightFiles,
      ...(result.indexFile === undefined ? [] : [result.indexFile]),
    ];
    const weightBytes = sizeOf(outDir, weightFiles);
    const copiedBytes = sizeOf(outDir, result.copiedFiles);
    const report = {
      baseDir,
      adapterDir,
      outDir,
      weightFiles: result.weightFiles,
      indexFile: result.indexFile ?? null,
      copiedFiles: result.copiedFiles,
      tensors: result.tensors,
      merged: result.changed,
      copied: result.tensors - result.changed,
      bytes: weightBytes + copiedBytes,
      seconds: Number(seconds.toFixed(3)),
    };
    if (values.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const shards = result.weightFiles.length;
    io.stdout.write(
      `${[
        `merged ${adapterDir} into ${baseDir} → ${outDir}`,
        `  tensors  ${count(report.merged)} merged, ${count(report.copied)} copied unchanged (${count(report.tensors)} in all)`,
        `  weights  ${shards === 1 ? result.weightFiles[0] : `${shards} shards + ${result.indexFile}`}, ${bytes(weightBytes)}`,
        `  copied   ${result.copiedFiles.length > 0 ? result.copiedFiles.join(', ') : '(no other files)'}`,
        `  time     ${num(Number(seconds.toFixed(2)))} s`,
      ].join('\n')}\n`,
    );
    return 0;
  },
};

function sizeOf(dir: string, files: readonly string[]): number {
  return files.reduce((total, name) => total + statSync(join(dir, name)).size, 0);
}
