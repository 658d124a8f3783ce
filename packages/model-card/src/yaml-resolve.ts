// PyYAML's implicit resolvers (YAML 1.1) and SafeConstructor for plain scalars.
import { ModelCardError, show } from './errors.js';
import { YamlFloat, type YamlScalar, YamlTimestamp } from './yaml-value.js';

// Python's `$` also matches before a final newline, hence `\n?$`.
const RESOLVERS: readonly [string, RegExp][] = [
  ['bool', /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$/],
  [
    'float',
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$/,
  ],
  [
    'int',
    /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$/,
  ],
  ['merge', /^(?:<<)\n?$/],
  ['null', /^(?:~|null|Null|NULL|)\n?$/],
  [
    'timestamp',
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$/,
  ],
  ['value', /^(?:=)\n?$/],
];

/** The tag PyYAML resolves a plain scalar's text to: `str` or one of the YAML 1.1 implicit types. */
export function resolvePlainTag(text: string): string {
  for (const [tag, regex] of RESOLVERS) if (regex.test(text)) return tag;
  return 'str';
}

/** Whether a string can be written as a plain scalar without changing type (`'yes'`, `''`, `'1.5'` cannot). */
export function resolvesToString(text: string): boolean {
  return resolvePlainTag(text) === 'str';
}

/**
 * The value PyYAML's `safe_load` builds from a plain scalar.
 *
 * @throws {ModelCardError} `INVALID_YAML` where PyYAML's constructor fails (a date that does not exist, `=`),
 *   `UNSUPPORTED_YAML` for the merge key `<<`
 */
export function constructPlain(text: string): YamlScalar {
  switch (resolvePlainTag(text)) {
    case 'bool':
      return ['yes', 'true', 'on'].includes(text.toLowerCase());
    case 'int':
      return constructInt(text);
    case 'float':
      return constructFloat(text);
    case 'null':
      return null;
    case 'timestamp':
      return constructTimestamp(text);
    case 'merge':
      throw new ModelCardError(
        'UNSUPPORTED_YAML',
        'YAML merge keys (`<<`) are not supported in card metadata.',
      );
    case 'value':
      throw new ModelCardError('INVALID_YAML', `PyYAML cannot construct the plain scalar ${show(text)}.`);
    default:
      return text;
  }
}

function signed(text: string): [bigint, string] {
  const sign = text[0] === '-' ? -1n : 1n;
  return [sign, text[0] === '-' || text[0] === '+' ? text.slice(1) : text];
}

function parseBigInt(digits: string, base: 2 | 8 | 16, text: string): bigint {
  if (digits === '')
    throw new ModelCardError('INVALID_YAML', `PyYAML cannot read the integer ${show(text)}.`);
  const prefix = base === 2 ? '0b' : base === 8 ? '0o' : '0x';
  return BigInt(prefix + digits);
}

function constructInt(text: string): number | bigint {
  const [sign, value] = signed(text.replaceAll('_', ''));
  let n: bigint;
  if (value === '0') return 0;
  if (value.startsWith('0b')) n = parseBigInt(value.slice(2), 2, text);
  else if (value.startsWith('0x')) n = parseBigInt(value.slice(2), 16, text);
  else if (value.startsWith('0')) n = parseBigInt(value.slice(1), 8, text);
  else if (value.includes(':')) {
    n = 0n;
    let base = 1n;
    for (const part of value.split(':').reverse()) {
      n += BigInt(part) * base;
      base *= 60n;
    }
  } else n = BigInt(value);
  n *= sign;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function constructFloat(text: string): number | YamlFloat {
  const [sign, value] = signed(text.replaceAll('_', '').toLowerCase());
  let x: number;
  if (value === '.inf') x = Number(sign) * Number.POSITIVE_INFINITY;
  else if (value === '.nan') x = Number.NaN;
  else if (value.includes(':')) {
    x = 0;
    let base = 1;
    for (const part of value.split(':').reverse()) {
      x += Number(part) * base;
      base *= 60;
    }
    x *= Number(sign);
  } else x = Number(sign) * Number(value);
  return Number.isInteger(x) ? new YamlFloat(x) : x;
}

const TIMESTAMP =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?\n?$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** PyYAML's `construct_yaml_timestamp`, then Python's `isoformat(' ')`. */
function constructTimestamp(text: string): YamlTimestamp {
  const m = TIMESTAMP.exec(text);
  if (m === null) throw new ModelCardError('INVALID_YAML', `Not a timestamp: ${show(text)}.`);
  const [year, month, day] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  const bad = (why: string) => new ModelCardError('INVALID_YAML', `Invalid timestamp ${show(text)}: ${why}.`);
  if (year < 1) throw bad('year is out of range');
  if (month < 1 || month > 12) throw bad('month must be in 1..12');
  if (day < 1 || day > daysInMonth(year, month)) throw bad('day is out of range for month');
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (m[4] === undefined) return new YamlTimestamp(date);
  const [hour, minute, second] = [m[4], m[5], m[6]].map(Number) as [number, number, number];
  if (hour > 23 || minute > 59 || second > 59) throw bad('hour, minute or second is out of range');
  const micro = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0;
  let out = `${date} ${pad(hour)}:${pad(minute)}:${pad(second)}${micro === 0 ? '' : `.${pad(micro, 6)}`}`;
  if (m[9] !== undefined) {
    const minutes = Number(m[10]) * 60 + Number(m[11] ?? 0);
    if (minutes >= 24 * 60) throw bad('the UTC offset must be under 24 hours');
    const sign = m[9] === '-' && minutes > 0 ? '-' : '+';
    out += `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  } else if (m[8] === 'Z') out += '+00:00';
  return new YamlTimestamp(out);
}
