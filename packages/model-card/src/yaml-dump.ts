// yaml.dump(value, sort_keys=False, allow_unicode=True) of PyYAML's default Dumper, as huggingface_hub calls it.
import { ModelCardError, show } from './errors.js';
import { pyFloatRepr } from './python-text.js';
import { analyzeScalar, chooseScalarStyle } from './yaml-analyze.js';
import { EmitterState } from './yaml-emitter.js';
import { resolvesToString } from './yaml-resolve.js';
import { isYamlMapping, YamlFloat, YamlTimestamp, type YamlValue } from './yaml-value.js';

/** Where a node is written, as the emitter's `expect_node` flags. */
interface Context {
  mapping: boolean;
  simpleKey: boolean;
}

/**
 * PyYAML writes a key as `key:` while its length plus that of its tag (`!!str`, 5 characters, counted even
 * though it is not written) stays under 128; longer keys, and empty or multi-line ones, become `? key`.
 */
const MAX_SIMPLE_KEY_LENGTH = 128 - '!!str'.length;

/**
 * `yaml.dump(value, sort_keys=False, allow_unicode=True, line_break=lineBreak)`: block style, width 80, indent 2,
 * PyYAML's quoting and folding rules.
 *
 * @param value - the value to write
 * @param lineBreak - the line break to use
 * @returns the YAML text, ending with a line break
 * @throws {ModelCardError} `INVALID_METADATA` for a value YAML cannot hold (undefined, a function, a class instance)
 */
export function dumpYaml(value: YamlValue, lineBreak = '\n'): string {
  const e = new EmitterState(lineBreak);
  node(e, value, { mapping: false, simpleKey: false }, '');
  e.writeIndent();
  return e.out;
}

/** A scalar's text and whether it reads back as the same type when written plain. */
function scalarText(value: YamlValue, path: string): [string, boolean] | undefined {
  if (value === null) return ['null', true];
  if (typeof value === 'boolean') return [value ? 'true' : 'false', true];
  if (typeof value === 'bigint') return [value.toString(), true];
  if (typeof value === 'number') return [floatOrInt(value), true];
  if (value instanceof YamlFloat) return [floatText(value.value), true];
  if (value instanceof YamlTimestamp) return [value.text, true];
  if (typeof value === 'string') return [value, resolvesToString(value)];
  if (Array.isArray(value) || isYamlMapping(value)) return undefined;
  throw new ModelCardError(
    'INVALID_METADATA',
    `Card metadata at ${path || 'the top'} has no YAML form: ${show(value)}.`,
  );
}

function floatOrInt(value: number): string {
  return Number.isInteger(value) ? BigInt(value).toString() : floatText(value);
}

/** PyYAML's `represent_float`. */
function floatText(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Number.POSITIVE_INFINITY) return '.inf';
  if (value === Number.NEGATIVE_INFINITY) return '-.inf';
  const text = pyFloatRepr(value).toLowerCase();
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

function node(e: EmitterState, value: YamlValue, ctx: Context, path: string): void {
  const scalar = scalarText(value, path);
  if (scalar !== undefined) {
    e.increaseIndent(true);
    const [text, implicit] = scalar;
    const analysis = analyzeScalar(text);
    const style = chooseScalarStyle(analysis, implicit, ctx.simpleKey, e.flowLevel);
    const split = !ctx.simpleKey;
    if (style === '"') e.writeDoubleQuoted(analysis.chars, split);
    else if (style === "'") e.writeSingleQuoted(analysis.chars, split);
    else e.writePlain(analysis.chars, split);
    e.popIndent();
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      emptyFlow(e, '[', ']');
      return;
    }
    e.increaseIndent(false, ctx.mapping && !e.indention);
    value.forEach((item, i) => {
      e.writeIndent();
      e.writeIndicator('-', true, false, true);
      node(e, item, { mapping: false, simpleKey: false }, `${path}[${i}]`);
    });
    e.popIndent();
    return;
  }
  const entries = Object.entries(value as Record<string, YamlValue>);
  if (entries.length === 0) {
    emptyFlow(e, '{', '}');
    return;
  }
  e.increaseIndent(false);
  for (const [key, item] of entries) {
    e.writeIndent();
    const chars = Array.from(key).length;
    const analysis = analyzeScalar(key);
    if (chars < MAX_SIMPLE_KEY_LENGTH && !analysis.empty && !analysis.multiline) {
      node(e, key, { mapping: true, simpleKey: true }, path);
      e.writeIndicator(':', false);
    } else {
      e.writeIndicator('?', true, false, true);
      node(e, key, { mapping: true, simpleKey: false }, path);
      e.writeIndent();
      e.writeIndicator(':', true, false, true);
    }
    node(e, item, { mapping: true, simpleKey: false }, path === '' ? key : `${path}.${key}`);
  }
  e.popIndent();
}

function emptyFlow(e: EmitterState, open: string, close: string): void {
  e.writeIndicator(open, true, true);
  e.flowLevel++;
  e.increaseIndent(true);
  e.popIndent();
  e.flowLevel--;
  e.writeIndicator(close, false);
}
