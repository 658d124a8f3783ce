import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_NAME, parseAdapterConfig } from '@peftjs/config';
import {
  createModelCard,
  modelCardOptionsFromConfig,
  parseModelCard,
  updateModelCard,
  YamlFloat,
  YamlTimestamp,
} from '@peftjs/model-card';
import { existingDirectory, parseFlags } from '../args.js';
import { type Command, UsageError } from '../io.js';

const usage = `usage: peftjs card <adapter dir> [--base-model <id>] [--write] [--json]

Prints the README.md (model card) PEFT's save_pretrained writes for an adapter: YAML front matter with
base_model, library_name: peft, pipeline_tag (causal LMs) and tags, huggingface_hub's card template, and the
framework versions line (naming peftjs). When the folder has a README.md already, prints it updated as PEFT
updates it: the text and metadata a person wrote stay, PEFT's tags replace the old ones.

  --base-model <id>  the base model's name or path (default: base_model_name_or_path from adapter_config.json;
                     none recorded means a transformers model without a name, written as '')
  --write            create or update <adapter dir>/README.md (through a temp file) instead of printing it
  --json             print one JSON object: the folder, the README path, what was done, the metadata, the card`;

/** What `peftjs card --json` prints. */
interface CardReport {
  readonly adapterDir: string;
  readonly readmePath: string;
  /** Whether the folder had a README.md, which the card updates. */
  readonly existing: boolean;
  /** Whether README.md was written (`--write`). */
  readonly written: boolean;
  readonly metadata: unknown;
  readonly card: string;
}

/** `peftjs card`: an adapter's model card, printed or written to its README.md. */
export const card: Command = {
  name: 'card',
  summary: "print or write an adapter's README.md model card as PEFT's save_pretrained writes it",
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { 'base-model': { type: 'string' }, write: { type: 'boolean' }, json: { type: 'boolean' } },
      usage,
    );
    const [dir, ...extra] = positionals;
    if (dir === undefined) throw new UsageError('card needs an adapter folder: peftjs card <adapter dir>');
    if (extra.length > 0)
      throw new UsageError(`card takes one adapter folder, got also '${extra.join("' '")}'`);
    existingDirectory(dir, 'adapter folder');
    const configPath = join(dir, CONFIG_NAME);
    if (!existsSync(configPath)) throw new Error(`no ${CONFIG_NAME} in '${dir}': not a PEFT adapter folder`);
    const { config } = parseAdapterConfig(readUtf8(configPath));
    const baseModel = values['base-model'];
    const options = modelCardOptionsFromConfig(config, typeof baseModel === 'string' ? { baseModel } : {});

    const readmePath = join(dir, 'README.md');
    const existing = existsSync(readmePath);
    const text = existing ? updateModelCard(readUtf8(readmePath), options) : createModelCard(options);
    if (values.write) writeAtomically(readmePath, text);

    if (values.json) {
      const report: CardReport = {
        adapterDir: dir,
        readmePath,
        existing,
        written: values.write === true,
        metadata: parseModelCard(text).metadata,
        card: text,
      };
      io.stdout.write(`${JSON.stringify(report, jsonValue, 2)}\n`);
    } else if (values.write) {
      io.stdout.write(`${existing ? 'updated' : 'created'} ${readmePath}\n`);
    } else {
      // The card's exact bytes (PEFT writes no final newline), so that `> README.md` reproduces the file.
      io.stdout.write(io.stdout.isTTY ? `${text}\n` : text);
    }
    return 0;
  },
};

/** Reads a file as strict UTF-8, as Python's `open(…, encoding="utf-8")` does. */
function readUtf8(path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readFileSync(path));
  } catch (error) {
    if (error instanceof TypeError) throw new Error(`'${path}' is not valid UTF-8`, { cause: error });
    throw error;
  }
}

/** Writes `text` to a temp file beside `path`, then renames it over `path`: a failure leaves `path` as it was. */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, text, 'utf8');
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** JSON for card metadata: big ints as digit strings, whole floats as numbers, timestamps as their text. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof YamlFloat) return value.value;
  if (value instanceof YamlTimestamp) return value.text;
  return value;
}
