/**
 * Small type checks for config fields. Each check validates a value found at a JSON pointer and returns a copy
 * that the config may own; failures are ConfigErrors that name the field and the value. @internal
 */
import { ConfigError, type ConfigErrorCode, show } from './errors.js';
import { childPointer, type JsonObject, type JsonValue, type NumberKind } from './python-json.js';

/** What a check may consult: the spelling of the numbers it is looking at. */
export interface CheckContext {
  /** Spelling of integral numbers by JSON pointer (empty for values built in JS). */
  readonly kinds: ReadonlyMap<string, NumberKind>;
}

/** A check: validates `value` at `pointer` and returns it (copied where it is a container). */
export interface Check<T> {
  (value: unknown, pointer: string, ctx: CheckContext): T;
  /** What the check accepts, for messages ("a boolean", "an integer >= 1"). */
  readonly expected: string;
}

/** `/eva_config/rho` → `eva_config.rho`. */
export function fieldName(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

/** Builds the ConfigError for a value at a pointer. */
export function fieldError(code: ConfigErrorCode, pointer: string, value: unknown, why: string): ConfigError {
  const field = fieldName(pointer);
  return new ConfigError(code, `Invalid \`${field}\`: ${why}, got ${show(value)}.`, { field, value });
}

/** Makes a check with a description. */
export function check<T>(
  expected: string,
  fn: (value: unknown, pointer: string, ctx: CheckContext) => T,
): Check<T> {
  return Object.assign(fn, { expected });
}

function typeError(expected: string, value: unknown, pointer: string): ConfigError {
  return fieldError('INVALID_TYPE', pointer, value, `must be ${expected}`);
}

/** A boolean (Python's `True`/`False`; not 0/1). */
export const bool: Check<boolean> = check('a boolean', (v, p) => {
  if (typeof v !== 'boolean') throw typeError('a boolean', v, p);
  return v;
});

/** A string. */
export const string: Check<string> = check('a string', (v, p) => {
  if (typeof v !== 'string') throw typeError('a string', v, p);
  return v;
});

/** Any number, int or float. */
export const number: Check<number> = check('a number', (v, p) => {
  if (typeof v !== 'number') throw typeError('a number', v, p);
  return v;
});

/**
 * A Python int: an integral number not written as a float (`8`, not `8.0`) within ±2^53, at least `min`.
 *
 * @param min - smallest allowed value (a smaller one is `INVALID_VALUE`)
 */
export function int(min = Number.NEGATIVE_INFINITY): Check<number> {
  const expected = min === Number.NEGATIVE_INFINITY ? 'an integer' : `an integer >= ${min}`;
  return check(expected, (v, p, ctx) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || ctx.kinds.get(p) === 'float') {
      throw fieldError('INVALID_TYPE', p, v, `must be ${expected}`);
    }
    if (v < min) throw fieldError('INVALID_VALUE', p, v, `must be ${expected}`);
    return v;
  });
}

/** `c` or null. */
export function nullable<T>(c: Check<T>): Check<T | null> {
  return check(`${c.expected} or null`, (v, p, ctx) => (v === null ? null : c(v, p, ctx)));
}

/** One of the listed strings; anything else is `code`. */
export function oneOf<T extends string>(
  values: readonly T[],
  code: ConfigErrorCode = 'INVALID_VALUE',
): Check<T> {
  const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return check(expected, (v, p) => {
    if (typeof v !== 'string') throw fieldError('INVALID_TYPE', p, v, `must be ${expected}`);
    if (!(values as readonly string[]).includes(v)) throw fieldError(code, p, v, `must be ${expected}`);
    return v as T;
  });
}

/** A list whose items pass `c`. */
export function listOf<T>(c: Check<T>): Check<T[]> {
  const expected = `a list of ${c.expected.replace(/^an? /, '')}s`;
  return check(expected, (v, p, ctx) => {
    if (!Array.isArray(v)) throw typeError(expected, v, p);
    return v.map((item, i) => c(item, childPointer(p, i), ctx));
  });
}

/** An object whose values pass `c`. */
export function recordOf<T>(c: Check<T>): Check<Record<string, T>> {
  const expected = `an object of ${c.expected.replace(/^an? /, '')}s`;
  return check(expected, (v, p, ctx) => {
    if (!isPlainObject(v)) throw typeError(expected, v, p);
    const out: Record<string, T> = {};
    for (const [k, item] of Object.entries(v)) defineOwn(out, k, c(item, childPointer(p, k), ctx));
    return out;
  });
}

/** Either of two checks, tried by JS type: `a` for strings or numbers, `b` for the rest. */
export function scalarOrList<A, B>(a: Check<A>, b: Check<B>): Check<A | B> {
  return check(`${a.expected} or ${b.expected}`, (v, p, ctx) =>
    Array.isArray(v) ? b(v, p, ctx) : a(v, p, ctx),
  );
}

/** Any JSON object (copied). */
export const jsonObject: Check<JsonObject> = check('an object', (v, p) => {
  if (!isPlainObject(v)) throw typeError('an object', v, p);
  return copyJson(v, p) as JsonObject;
});

/**
 * A nested config object: the listed fields are checked where present, other keys are kept as they are.
 *
 * @param fields - checks of the known fields
 */
export function objectWith(fields: Record<string, Check<unknown>>): Check<JsonObject> {
  return check('an object', (v, p, ctx) => {
    if (!isPlainObject(v)) throw typeError('an object', v, p);
    const out = copyJson(v, p) as JsonObject;
    for (const [k, c] of Object.entries(fields)) {
      if (Object.hasOwn(v, k)) defineOwn(out, k, c(v[k], childPointer(p, k), ctx) as JsonValue);
    }
    return out;
  });
}

/** Whether a value is a plain object (not an array, class instance or null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Sets an own enumerable property, also for the key `__proto__`. */
export function defineOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Deep-copies a JSON value, refusing anything JSON cannot hold.
 *
 * @throws {ConfigError} `INVALID_TYPE` for undefined, functions, symbols, class instances
 */
export function copyJson(v: unknown, pointer: string): JsonValue {
  if (
    v === null ||
    typeof v === 'boolean' ||
    typeof v === 'number' ||
    typeof v === 'string' ||
    typeof v === 'bigint'
  ) {
    return v;
  }
  if (Array.isArray(v)) return v.map((item, i) => copyJson(item, childPointer(pointer, i)));
  if (isPlainObject(v)) {
    const out: JsonObject = {};
    for (const [k, item] of Object.entries(v)) defineOwn(out, k, copyJson(item, childPointer(pointer, k)));
    return out;
  }
  throw fieldError('INVALID_TYPE', pointer, String(v), 'must be a JSON value');
}

/** Python truthiness of a JSON value (None, False, 0, "", [] and {} are false). */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true; // includes NaN, which Python treats as true
}
