import { existsSync, statSync } from 'node:fs';
import {
  AdapterError,
  type AdapterSession,
  createAdapterSession,
  onnxruntimeNodeBackend,
  readTensorFile,
  writeFloat32TensorFile,
} from '@peftjs/runtime-node';
import { existingDirectory, optionalInteger, parseFlags, required } from '../args.js';
import { bytes, num, table } from '../format.js';
import { type Command, UsageError } from '../io.js';
import { adapterList, modeFlag } from './adapter-flags.js';

const usage = `usage: peftjs forward --onnx <model.onnx> --inputs <in.safetensors> --out <out.safetensors>
                      [--adapter [name=]<dir>]... [--set-adapter <name>[,<name>...]] [--disable-adapters]
                      [--mode merged|dynamic] [--base <model dir>] [--threads <n>] [--overwrite] [--json]

Runs an ONNX model once with PEFT adapters (onnxruntime-node, CPU) and writes every output, by name, as float32.
Each --adapter is loaded as transformers' load_adapter() does: the last one loaded is the active one unless
--set-adapter names others (several are combined, their deltas summed, as PEFT's set_adapter([...]) does).

  --onnx <file>          the base model (external data files are read from its folder)
  --inputs <file>        safetensors file with one tensor per model input, by name (int64 ids, masks, ...)
  --out <file>           where the outputs go (safetensors, float32)
  --adapter [name=]<dir> a PEFT adapter folder; name it when loading several (default name: default)
  --set-adapter <names>  the active adapter(s), comma-separated
  --disable-adapters     run the base model (with the parameters PEFT loads into it, e.g. bias="all")
  --mode merged|dynamic  merged (default): adapters baked into the weights; dynamic: adapter branches added to
                         the graph and the adapters' tensors fed at run time
  --base <dir>           the base checkpoint folder: finds anonymous ONNX weights by value
  --threads <n>          onnxruntime threads per operator (default: one per core)
  --overwrite            replace --out if it exists
  --json                 print one JSON object instead of the summary`;

function existingFile(path: string, what: string): string {
  let ok = false;
  try {
    ok = statSync(path).isFile();
  } catch {
    throw new UsageError(`${what} '${path}' does not exist`);
  }
  if (!ok) throw new UsageError(`${what} '${path}' is not a file`);
  return path;
}

/** `peftjs forward`: one run of an ONNX model with adapters, outputs written to safetensors. */
export const forward: Command = {
  name: 'forward',
  summary: 'run an ONNX model with adapters on inputs from a safetensors file',
  usage,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        onnx: { type: 'string' },
        inputs: { type: 'string' },
        out: { type: 'string' },
        adapter: { type: 'string', multiple: true },
        'set-adapter': { type: 'string' },
        'disable-adapters': { type: 'boolean' },
        mode: { type: 'string' },
        base: { type: 'string' },
        threads: { type: 'string' },
        overwrite: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const model = existingFile(required(values, 'onnx'), '--onnx model');
    const inputs = existingFile(required(values, 'inputs'), '--inputs file');
    const out = required(values, 'out');
    const adapters = adapterList((values.adapter as string[] | undefined) ?? []);
    const mode = modeFlag(values.mode, 'merged');
    const base =
      values.base === undefined ? undefined : existingDirectory(String(values.base), '--base folder');
    const threads = optionalInteger(values, 'threads', 1);
    const active = values['set-adapter'] === undefined ? undefined : String(values['set-adapter']).split(',');
    const disable = values['disable-adapters'] === true;
    if ((active !== undefined || disable) && adapters.length === 0) {
      throw new UsageError(`--${disable ? 'disable-adapters' : 'set-adapter'} needs at least one --adapter`);
    }
    if (!values.overwrite && existsSync(out)) {
      throw new AdapterError(
        'OUTPUT_EXISTS',
        `--out '${out}' already exists (pass --overwrite to replace it)`,
      );
    }

    const started = performance.now();
    const backend = onnxruntimeNodeBackend(threads === undefined ? {} : { threads });
    const session = await createAdapterSession({
      model,
      backend,
      mode,
      ...(base === undefined ? {} : { base }),
    });
    let outputs: Awaited<ReturnType<AdapterSession['run']>>;
    const loaded: { name: string; dir: string; type: string }[] = [];
    try {
      for (const { name, dir } of adapters) {
        await session.loadAdapter(dir, name);
        loaded.push({ name, dir, type: session.getAdapter(name).peftType });
      }
      if (active !== undefined) session.setAdapter(active.length === 1 ? (active[0] as string) : active);
      if (disable) session.disableAdapters();
      const feeds = await readTensorFile(inputs, backend);
      outputs = await session.run(feeds);
      await writeFloat32TensorFile(out, outputs, { overwrite: values.overwrite === true });
    } finally {
      await session.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const activeNames = disable || loaded.length === 0 ? [] : (active ?? [loaded.at(-1)?.name as string]);
    const report = {
      model,
      mode,
      adapters: loaded,
      active: activeNames,
      adaptersEnabled: !disable,
      inputs,
      out,
      outputs: Object.entries(outputs).map(([name, t]) => ({ name, shape: [...t.dims], type: t.type })),
      bytes: statSync(out).size,
      seconds: Number(seconds.toFixed(3)),
    };
    if (values.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const state =
      loaded.length === 0
        ? 'no adapters'
        : disable
          ? 'adapters disabled'
          : `active ${activeNames.join(' + ')}`;
    const lines = [
      `ran ${model} (${mode}, ${state}) → ${out}`,
      ...(loaded.length > 0
        ? [
            '',
            table(
              ['adapter', 'type', 'folder'],
              loaded.map((a) => [a.name, a.type, a.dir]),
            ),
            '',
          ]
        : []),
      table(
        ['output', 'shape', 'written as'],
        report.outputs.map((o) => [
          o.name,
          `[${o.shape.join(', ')}]`,
          o.type === 'float32' ? 'F32' : `F32 (from ${o.type})`,
        ]),
      ),
      '',
      `wrote   ${bytes(report.bytes)} in ${num(Number(seconds.toFixed(2)))} s`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
