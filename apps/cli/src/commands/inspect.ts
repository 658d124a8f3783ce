import {
  type Adapter,
  type AdapterSummary,
  type BaseCheckpoint,
  countParameters,
  formatTrainableLine,
  inspectAdapter,
  isAdapterError,
  loadAdapter,
  openBaseCheckpoint,
  type ParameterCount,
  planMerge,
} from '@peftjs/runtime-node';
import { existingDirectory, parseFlags } from '../args.js';
import { bytes, count, num } from '../format.js';
import { type Command, UsageError } from '../io.js';
import { moduleTable } from '../module-table.js';

const usage = `usage: peftjs inspect <adapter dir> [--base <model dir>] [--json]

Describes a PEFT adapter folder (adapter_config.json + adapter_model.safetensors or .bin): type, task, base
model, targets, ranks, alphas, scaling, parameter count and size, then one row per group of identical modules.

  --base <dir>   a base model folder (model.safetensors or shards): checks that the adapter fits it and prints
                 the line PEFT's print_trainable_parameters() prints for the adapter on that model
  --json         print one JSON object with everything instead`;

/** What `peftjs inspect --json` prints. */
interface InspectReport extends AdapterSummary {
  readonly adapterDir: string;
  readonly format: Adapter['format'];
  readonly baseDir?: string;
  readonly parameters?: ParameterCount;
  readonly trainableLine?: string;
}

/** `peftjs inspect`: an adapter's summary and module table, or one JSON object. */
export const inspect: Command = {
  name: 'inspect',
  summary: 'describe an adapter: type, targets, ranks, parameters, size (--base: PEFT trainable line)',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { base: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    const [dir, ...extra] = positionals;
    if (dir === undefined)
      throw new UsageError('inspect needs an adapter folder: peftjs inspect <adapter dir>');
    if (extra.length > 0)
      throw new UsageError(`inspect takes one adapter folder, got also '${extra.join("' '")}'`);
    existingDirectory(dir, 'adapter folder');
    const baseDir =
      typeof values.base === 'string' ? existingDirectory(values.base, '--base folder') : undefined;

    const adapter = await loadAdapter(dir);
    let base: BaseCheckpoint | undefined;
    try {
      const summary = inspectAdapter(adapter);
      let report: InspectReport = { adapterDir: dir, format: adapter.format, ...summary };
      if (baseDir !== undefined) {
        base = await openBaseCheckpoint(baseDir);
        checkFits(base, adapter);
        const parameters = countParameters(adapter, base);
        report = { ...report, baseDir, parameters, trainableLine: formatTrainableLine(parameters) };
      }
      io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${describe(report)}\n`);
      return 0;
    } finally {
      await base?.close();
      await adapter.close();
    }
  },
};

/**
 * PEFT refuses to load an adapter whose tensors do not fit the model, so a trainable line for such a pair would
 * be meaningless: plan the merge (no data is read) to find a missing target or a wrong shape. Layers peftjs cannot
 * merge (`UNSUPPORTED_FEATURE`) still count as PEFT counts them.
 */
function checkFits(base: BaseCheckpoint, adapter: Adapter): void {
  try {
    planMerge(base, adapter);
  } catch (error) {
    if (!isAdapterError(error) || error.code !== 'UNSUPPORTED_FEATURE') throw error;
  }
}

function describe(r: InspectReport): string {
  const lora = r.modules.filter((m) => m.kind !== 'ia3');
  const distinct = (xs: (number | undefined)[]) =>
    [...new Set(xs.filter((x) => x !== undefined))].sort((a, b) => a - b).map(num);
  const features = [
    r.features.dora ? 'DoRA' : '',
    r.features.rslora ? 'rsLoRA' : '',
    r.features.loraBias ? 'lora_bias' : '',
    r.features.bias === 'none' ? '' : `bias=${r.features.bias}`,
  ].filter(Boolean);
  const dtypes = Object.entries(r.dtypes).map(([dtype, n]) => `${n} ${dtype}`);
  const lines: [string, string][] = [
    [
      'adapter',
      `${r.adapterDir} (${r.format === 'bin' ? 'adapter_model.bin' : 'adapter_model.safetensors'})`,
    ],
    ['type', `${r.peftType}, saved by PEFT ${r.peftVersion}`],
    ['task', r.taskType ?? '(none)'],
    ['base model', r.baseModel ?? '(not recorded)'],
    ['targets', targets(r.targetModules)],
  ];
  if (features.length > 0) lines.push(['variants', features.join(', ')]);
  if (lora.length > 0) {
    const initRanks = distinct(lora.map((m) => m.initRank));
    const init = initRanks.length > 0 ? ` (init_r ${initRanks.join(', ')})` : '';
    lines.push(['ranks', `${distinct(lora.map((m) => m.rank)).join(', ')}${init}`]);
    lines.push(['alphas', distinct(lora.map((m) => m.alpha)).join(', ')]);
    lines.push(['scaling', distinct(lora.map((m) => m.scaling)).join(', ')]);
  }
  lines.push(['modules', String(r.modules.length)]);
  for (const x of r.replacements) {
    lines.push(['replaces', `${x.name} [${x.shape.join(', ')}] (${x.reason})`]);
  }
  lines.push(['parameters', `${count(r.trainableParameters)} trainable`]);
  lines.push(['size', `${bytes(r.bytes)} in ${dtypes.join(', ')} tensors (${count(r.storedValues)} values)`]);
  if (r.baseDir !== undefined && r.parameters !== undefined) {
    lines.push(['on base', `${r.baseDir}: ${count(r.parameters.all)} parameters in all`]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  const out = lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (r.trainableLine !== undefined) out.push('', r.trainableLine);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  out.push('', moduleTable(r.modules));
  return out.join('\n');
}

function targets(t: AdapterSummary['targetModules']): string {
  if (t === null) return '(none)';
  return typeof t === 'string' ? t : t.join(', ');
}
