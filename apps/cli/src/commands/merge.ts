import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { mergeAdapterToDirectory, mergeAdapterToOnnx } from '@peftjs/runtime-node';
import { existingDirectory, parseFlags, required } from '../args.js';
import { bytes, count, num, progress } from '../format.js';
import { type CliIo, type Command, UsageError } from '../io.js';

const usage = `usage: peftjs merge --base <model dir> --adapter <adapter dir> --out <dir> [--overwrite] [--json]
       peftjs merge --onnx <model.onnx> --adapter <adapter dir> [--base <model dir>] --out <out.onnx> [--overwrite] [--json]

Merges a PEFT adapter into its base model, as PEFT's merge_and_unload() + save_pretrained(): the output has
the base's tensor names, dtypes and sharding (and index), and the base folder's other files (config,
generation config, tokenizer) copied. Nothing is left in --out when it fails.

With --onnx, merges into an ONNX model's weights instead and writes one .onnx file that onnxruntime loads; a
model with external data gets its own <out>.data next to it.

  --base <dir>      the base model folder (model.safetensors, or shards with model.safetensors.index.json);
                    with --onnx optional: finds anonymous ONNX weights by value
  --onnx <file>     merge into this ONNX model (its external data files are read from its folder)
  --adapter <dir>   the PEFT adapter folder (adapter_config.json + adapter_model.safetensors or .bin)
  --out <path>      where the merged model goes (a folder, created; with --onnx the .onnx file)
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
        onnx: { type: 'string' },
        adapter: { type: 'string' },
        out: { type: 'string' },
        overwrite: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (values.onnx !== undefined) return mergeOnnx(values, io);
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

async function mergeOnnx(values: Record<string, unknown>, io: CliIo): Promise<number> {
  const model = required(values, 'onnx');
  if (!existsSync(model) || !statSync(model).isFile())
    throw new UsageError(`--onnx model '${model}' is not a file`);
  const adapterDir = existingDirectory(required(values, 'adapter'), '--adapter folder');
  const base =
    values.base === undefined ? undefined : existingDirectory(String(values.base), '--base folder');
  const out = required(values, 'out');
  const started = performance.now();
  const result = await mergeAdapterToOnnx({
    model,
    adapterDir,
    out,
    overwrite: values.overwrite === true,
    ...(base === undefined ? {} : { base }),
  });
  const seconds = (performance.now() - started) / 1000;
  const files = [result.model, ...(result.externalData === null ? [] : [result.externalData])];
  const report = {
    onnx: model,
    adapterDir,
    baseDir: base ?? null,
    out: result.model,
    externalData: result.externalData,
    peftType: result.peftType,
    modules: result.modules,
    replaced: result.replaced,
    bytes: files.reduce((n, f) => n + statSync(f).size, 0),
    seconds: Number(seconds.toFixed(3)),
  };
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    `${[
      `merged ${adapterDir} into ${model} → ${result.model}`,
      `  adapter  ${result.peftType}, ${count(result.modules)} modules${result.replaced > 0 ? `, ${count(result.replaced)} base parameters replaced` : ''}`,
      `  written  ${files.map((f) => basename(f)).join(' + ')}, ${bytes(report.bytes)}`,
      `  time     ${num(Number(seconds.toFixed(2)))} s`,
    ].join('\n')}\n`,
  );
  return 0;
}

function sizeOf(dir: string, files: readonly string[]): number {
  return files.reduce((total, name) => total + statSync(join(dir, name)).size, 0);
}
