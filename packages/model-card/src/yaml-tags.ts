// The standard scalar tags (`!!str 1`, `!!timestamp '2001-12-14 21:59:43'`): PyYAML writes `!!timestamp` itself
// for timestamps inside flow collections.
import { isBreakOrEnd, type YamlCursor } from './yaml-cursor.js';
import { constructPlain, resolvePlainTag } from './yaml-resolve.js';
import { canStartPlain, scanBlockScalar, scanPlain, scanQuoted } from './yaml-scalars.js';
import type { YamlScalar } from './yaml-value.js';

const STANDARD_TAG = /^!!(str|int|float|bool|null|timestamp)(?=[ \r\n\x85\u2028\u2029]|$)/;

/**
 * A scalar with a standard tag on the same line, the cursor at the `!`; `indent` is the enclosing block
 * collection's column. The text must be one PyYAML's implicit resolver gives that type, so that the value does
 * not depend on Python's lenient `int()` / `float()` parsing.
 *
 * @throws {ModelCardError} `UNSUPPORTED_YAML` for other tags, a tag without a value on its line, or a text of
 *   another type (`!!int abc`)
 */
export function scanTaggedScalar(cur: YamlCursor, indent: number): YamlScalar {
  const match = STANDARD_TAG.exec(cur.text.slice(cur.pos, cur.pos + 16));
  if (match === null) {
    throw cur.error('UNSUPPORTED_YAML', 'tags other than !!str, !!int, !!float, !!bool, !!null, !!timestamp');
  }
  const tag = match[1] as string;
  cur.forward(match[0].length);
  cur.takeUntil((ch) => ch !== ' ');
  const ch = cur.peek();
  let text: string;
  if (ch === "'" || ch === '"') text = scanQuoted(cur);
  else if ((ch === '|' || ch === '>') && cur.flowLevel === 0) text = scanBlockScalar(cur, indent);
  else if (ch !== '#' && !isBreakOrEnd(ch) && canStartPlain(cur)) text = scanPlain(cur, indent).text;
  else throw cur.error('UNSUPPORTED_YAML', `a !!${tag} tag without a scalar after it on its line`);
  if (tag === 'str') return text;
  if (tag === 'null') return null;
  if (resolvePlainTag(text) !== tag) {
    throw cur.error(
      'UNSUPPORTED_YAML',
      `!!${tag} on ${JSON.stringify(text)}, which does not read as a ${tag}`,
    );
  }
  return constructPlain(text);
}
