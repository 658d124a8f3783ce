// huggingface_hub's RepoCard: the YAML block regex, line-ending detection and `---\n<yaml>\n---\n<text>`.
import { cardDataDict } from './card-data.js';
import { ModelCardError } from './errors.js';
import { PY_WHITESPACE, pyStrip } from './python-text.js';
import { dumpYaml } from './yaml-dump.js';
import { parseYaml } from './yaml-parse.js';
import { isYamlMapping, type YamlMapping } from './yaml-value.js';

/** A line break a card can use. */
export type LineBreak = '\n' | '\r\n' | '\r';

/** A model card: YAML metadata, the Markdown after it, and the line break its front matter is written with. */
export interface ModelCard {
  /** The front matter as `yaml.safe_load` reads it, keys in document order; `{}` when the card has none. */
  metadata: YamlMapping;
  /** Everything after the front matter's closing `---` line (the whole text when there is no front matter). */
  body: string;
  /** The line break for the front matter: the card's own (huggingface_hub's detection), else `\n`. */
  lineBreak?: LineBreak;
}

const WS = PY_WHITESPACE.replace(/[\\\]^-]/g, '\\$&');
// huggingface_hub's REGEX_YAML_BLOCK (the Hub server's), with Python's `\s`.
const YAML_BLOCK = new RegExp(
  `^([${WS}]*---(?:\\r\\n|\\r|\\n))([\\S\\s]*?)((?:\\r\\n|\\r|\\n)---[ \\t]*(\\r\\n|\\n|$))`,
);

/** huggingface_hub's `_detect_line_ending`. */
function detectLineBreak(text: string): LineBreak | undefined {
  const cr = text.split('\r').length - 1;
  const lf = text.split('\n').length - 1;
  const crlf = text.split('\r\n').length - 1;
  if (cr + lf === 0) return undefined;
  if (crlf === cr && crlf === lf) return '\r\n';
  return cr > lf ? '\r' : '\n';
}

/**
 * Splits a README.md into its YAML front matter and Markdown body, as huggingface_hub's `ModelCard(text)` does.
 *
 * @param text - the README's text
 * @returns the card; `metadata` is `{}` when there is no front matter
 * @throws {ModelCardError} `INVALID_YAML` / `UNSUPPORTED_YAML` for front matter this package cannot read;
 *   `INVALID_METADATA` when it is not a mapping or huggingface_hub would refuse it (e.g. a bad `model-index`)
 * @example
 * ```ts
 * const { metadata, body } = parseModelCard('---\nlicense: mit\n---\n# My adapter\n');
 * // metadata: { license: 'mit' }, body: '# My adapter\n'
 * ```
 */
export function parseModelCard(text: string): ModelCard {
  const lineBreak = detectLineBreak(text);
  const match = YAML_BLOCK.exec(text);
  if (match === null) return { metadata: {}, body: text, ...(lineBreak && { lineBreak }) };
  const value = parseYaml(match[2] as string);
  const metadata = value === null ? {} : value;
  if (!isYamlMapping(metadata)) {
    throw new ModelCardError('INVALID_METADATA', 'The card metadata (YAML front matter) must be a mapping.');
  }
  if (Object.hasOwn(metadata, 'ignore_metadata_errors')) {
    throw new ModelCardError(
      'INVALID_METADATA',
      'The card metadata may not have the key `ignore_metadata_errors`.',
    );
  }
  cardDataDict(metadata); // huggingface_hub validates tags and model-index on load
  return { metadata, body: text.slice(match.index + match[0].length), ...(lineBreak && { lineBreak }) };
}

/**
 * Writes a model card as huggingface_hub's `ModelCard.save` does: `---`, the metadata as `yaml.dump(…,
 * sort_keys=False, allow_unicode=True)` (nulls dropped, `model-index` last), `---`, then the body unchanged.
 *
 * @param card - the card
 * @returns the README.md text
 * @throws {ModelCardError} `INVALID_METADATA` for metadata huggingface_hub would refuse or YAML cannot hold
 * @example
 * ```ts
 * serializeModelCard({ metadata: { license: 'mit', tags: ['lora'] }, body: '# Hi\n' });
 * // '---\nlicense: mit\ntags:\n- lora\n---\n# Hi\n'
 * ```
 */
export function serializeModelCard(card: ModelCard): string {
  const lb = card.lineBreak ?? '\n';
  const yaml = pyStrip(dumpYaml(cardDataDict(card.metadata), lb));
  return `---${lb}${yaml}${lb}---${lb}${card.body}`;
}
