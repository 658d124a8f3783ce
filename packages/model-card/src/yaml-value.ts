/**
 * A float whose value is a whole number (`1.0`, `-0.0`, `1.0e+20`), kept apart from integers so that it is
 * written back as PyYAML writes a Python float. Other floats are plain `number`s: a `number` that is an integer
 * is written as a Python int, any other `number` (including `NaN` and the infinities) as a float.
 *
 * @example
 * ```ts
 * serializeModelCard({ metadata: { lr: new YamlFloat(1) }, body: '' }); // "---\nlr: 1.0\n---\n"
 * ```
 */
export class YamlFloat {
  /**
   * @param value - the float
   */
  constructor(readonly value: number) {}
}

/**
 * A YAML 1.1 timestamp (`2024-01-15`, `2001-12-14 21:59:43.100000-05:00`) as Python reads it into a `date` or
 * `datetime`: `text` is that object's `isoformat(' ')`, which is what PyYAML writes back.
 */
export class YamlTimestamp {
  /**
   * @param text - the canonical form (`YYYY-MM-DD`, or `YYYY-MM-DD HH:MM:SS[.ffffff][±HH:MM]`)
   */
  constructor(readonly text: string) {}
}

/** A YAML scalar as this package holds it: `null`, a boolean, an int (`number` or `bigint`), a float, a string or a timestamp. */
export type YamlScalar = null | boolean | number | bigint | string | YamlFloat | YamlTimestamp;

/** A YAML mapping with string keys, in document order. */
export interface YamlMapping {
  [key: string]: YamlValue;
}

/** Any value of card metadata: what `yaml.safe_load` gives, minus anchors, tags and non-string keys. */
export type YamlValue = YamlScalar | YamlValue[] | YamlMapping;

/**
 * Whether `value` is a mapping (a plain object), not a list, scalar, {@link YamlFloat} or {@link YamlTimestamp}.
 *
 * @param value - a metadata value
 * @returns true for a mapping
 */
export function isYamlMapping(value: unknown): value is YamlMapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets `key` on `target` as an own enumerable property, even for `__proto__`. @internal */
export function defineEntry(target: YamlMapping, key: string, value: YamlValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Whether a JavaScript object would move `key` ahead of the others (an array index such as `"7"`), so that a
 * mapping with it cannot keep document order. @internal
 */
export function isIndexKey(key: string): boolean {
  return /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}
