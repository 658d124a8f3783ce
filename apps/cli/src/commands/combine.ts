import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADAPTER_SAFETENSORS_NAME,
  type Adapter,
  COMBINATION_TYPES,
  type CombineAdaptersOptions,
  combineAdapters,
  isCombinationType,
  loadAdapter,
  saveAdapter,
} from '@peftjs/runtime-node';
import {
  existingDirectory,
  numberList,
  optionalInteger,
  optionalNumber,
  parseFlags,
  required,
} from '../args.js';
import { bytes, num, table } from '../format.js';
import { type Command, UsageError } from '../io.js';

type MajoritySign = NonNullable<CombineAdaptersOptions['majoritySignMethod']>;

const SIGN_METHODS: readonly MajoritySign[] = ['total', 'frequency'];
/** Flags that only LoRA combinations take (PEFT's IA3 add_weighted_adapter is a plain weighted sum). */
const LORA_ONLY = ['type', 'density', 'svd-rank', 'svd-clamp', 'majority-sign', 'seed'] as const;

const usage = `usage: peftjs combine --adapter [name=]<dir> --adapter [name=]<dir> … --weights <w1,w2,…>
                      --type <combination type> [--density D] [--svd-rank N] [--svd-clamp Q]
                      [--majority-sign total|frequency] [--seed S] --out <dir> [--overwrite] [--json]

Combines adapters of the same base into one new PEFT adapter folder, as PEFT's add_weighted_adapter() followed
by save_pretrained(): the first adapter's config is the template; PEFT loads the result.

  --adapter [name=]<dir>   a source adapter, repeated; names label the output (default a, b, c, …)
  --weights <list>         one weight per adapter, comma-separated (may be negative)
  --type <type>            LoRA: ${COMBINATION_TYPES.join(', ')}
                           (IA3 adapters take no type: they are summed with their weights)
  --density D              fraction kept by ties*, dare*, magnitude_prune*
  --svd-rank N             rank of *svd results (default: the largest source rank)
  --svd-clamp Q            clamp *svd factors to this quantile of their values (0 to 1)
  --majority-sign M        TIES sign election: total (default) or frequency
  --seed S                 seed of DARE's random masks (default 0; PEFT's torch RNG cannot be reproduced)
  --out <dir>              where the combined adapter goes (created)
  --overwrite              replace adapter files already in --out
  --json                   print one JSON object instead of the summary`;

/** One `--adapter` value: its label and folder. */
interface Source {
  readonly name: string;
  readonly dir: string;
  readonly weight: number;
}

/** `peftjs combine`: PEFT's add_weighted_adapter on adapter folders, saved as a new adapter folder. */
export const combine: Command = {
  name: 'combine',
  summary: "combine adapters with weights into a new adapter (PEFT's add_weighted_adapter)",
  usage,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        adapter: { type: 'string', multiple: true },
        weights: { type: 'string' },
        type: { type: 'string' },
        density: { type: 'string' },
        'svd-rank': { type: 'string' },
        'svd-clamp': { type: 'string' },
        'majority-sign': { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        overwrite: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const outDir = required(values, 'out');
    const options = combineOptions(values);
    const sources = parseSources(values.adapter, numberList(required(values, 'weights'), 'weights'));

    const adapters: Adapter[] = [];
    try {
      for (const s of sources) adapters.push(await loadAdapter(s.dir));
      const peftType = adapters[0]?.peftType;
      if (peftType === 'IA3') {
        const given = LORA_ONLY.filter((f) => values[f] !== undefined);
        if (given.length > 0) {
          throw new UsageError(
            `IA3 adapters are combined as a weighted sum; --${given.join(', --')} apply to LoRA only`,
          );
        }
      } else if (options.type === undefined) {
        throw new UsageError(
          `--type is required for ${peftType} adapters: one of ${COMBINATION_TYPES.join(', ')}`,
        );
      }
      const combined = await combineAdapters({
        adapters: adapters.map((adapter, i) => ({ adapter, weight: sources[i]?.weight ?? Number.NaN })),
        ...options,
      });
      await saveAdapter(outDir, combined, { overwrite: values.overwrite === true });
      const files = ['adapter_config.json', ADAPTER_SAFETENSORS_NAME];
      const size = files.reduce((n, f) => n + statSync(join(outDir, f)).size, 0);
      const { config } = combined;
      const report = {
        peftType: combined.peftType,
        type: peftType === 'IA3' ? null : (options.type ?? null),
        adapters: sources.map((s, i) => ({ ...s, ranks: ranksOf(adapters[i]) })),
        options,
        outDir,
        files,
        bytes: size,
        r: config.peft_type === 'IA3' ? null : config.r,
        loraAlpha: config.peft_type === 'IA3' ? null : config.lora_alpha,
        modules: combined.layers.length,
        targetModules: config.target_modules,
      };
      if (values.json) {
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return 0;
      }
      const how = report.type === null ? 'a weighted sum' : report.type;
      const params = Object.entries(options)
        .filter(([k]) => k !== 'type')
        .map(([k, v]) => `${k} ${String(v)}`);
      const rows = report.adapters.map((s) => [s.name, num(s.weight), s.ranks.join(', ') || '-', s.dir]);
      const targets = Array.isArray(report.targetModules)
        ? report.targetModules.join(', ')
        : String(report.targetModules);
      const rank = report.r === null ? '' : `r=${report.r}, lora_alpha=${report.loraAlpha}, `;
      io.stdout.write(
        `${[
          `combined ${sources.length} ${report.peftType} adapters with ${how}${params.length > 0 ? ` (${params.join(', ')})` : ''} → ${outDir}`,
          '',
          table(['name', 'weight', 'r', 'folder'], rows),
          '',
          `result  ${rank}${report.modules} modules, targets ${targets}`,
          `wrote   ${files.join(', ')} (${bytes(size)})`,
        ].join('\n')}\n`,
      );
      return 0;
    } finally {
      for (const a of adapters) await a.close();
    }
  },
};

/** The combination flags as `combineAdapters` options, checked. */
function combineOptions(values: Record<string, unknown>): Omit<CombineAdaptersOptions, 'adapters'> {
  const type = values.type;
  if (type !== undefined && !isCombinationType(type)) {
    throw new UsageError(`unknown --type '${String(type)}'; valid types: ${COMBINATION_TYPES.join(', ')}`);
  }
  const sign = values['majority-sign'];
  if (sign !== undefined && !SIGN_METHODS.includes(sign as MajoritySign)) {
    throw new UsageError(`--majority-sign must be total or frequency, got '${String(sign)}'`);
  }
  const clamp = optionalNumber(values, 'svd-clamp');
  if (clamp !== undefined && (clamp < 0 || clamp > 1)) {
    throw new UsageError(`--svd-clamp is a quantile between 0 and 1, got ${clamp}`);
  }
  const density = optionalNumber(values, 'density');
  const svdRank = optionalInteger(values, 'svd-rank', 1);
  const seed = optionalInteger(values, 'seed', 0);
  return {
    ...(type === undefined ? {} : { type }),
    ...(density === undefined ? {} : { density }),
    ...(svdRank === undefined ? {} : { svdRank }),
    ...(clamp === undefined ? {} : { svdClamp: clamp }),
    ...(sign === undefined ? {} : { majoritySignMethod: sign as MajoritySign }),
    ...(seed === undefined ? {} : { seed }),
  };
}

/** `--adapter [name=]dir` values with their weights: names default to a, b, c, …; folders must exist. */
function parseSources(given: unknown, weights: number[]): Source[] {
  const list = Array.isArray(given) ? (given as string[]) : [];
  if (list.length === 0) throw new UsageError('--adapter is required (one per source adapter)');
  if (weights.length !== list.length) {
    throw new UsageError(
      `--weights has ${plural(weights.length, 'value')} for ${plural(list.length, 'adapter')}; ` +
        'give one weight per --adapter',
    );
  }
  const seen = new Set<string>();
  return list.map((value, i) => {
    const labelled = /^([A-Za-z0-9_][\w.-]*)=(.+)$/.exec(value);
    const name = labelled?.[1] ?? (i < 26 ? String.fromCharCode(97 + i) : `adapter${i + 1}`);
    const dir = labelled?.[2] ?? value;
    if (seen.has(name)) throw new UsageError(`two adapters are named '${name}'; give each a different name=`);
    seen.add(name);
    existingDirectory(dir, `--adapter ${name} folder`);
    return { name, dir, weight: weights[i] as number };
  });
}

function ranksOf(adapter: Adapter | undefined): number[] {
  const ranks = new Set<number>();
  for (const l of adapter?.layers ?? []) if (l.kind !== 'ia3') ranks.add(l.rank);
  return [...ranks].sort((a, b) => a - b);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
