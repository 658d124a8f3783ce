import { describe, expect, it } from 'vitest';
import { parseHeaderJson } from './parse-header-json.js';

const codeOf = (text: string): string => {
  try {
    parseHeaderJson(text);
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

/** A header with one U8 tensor that carries `extra` as an unknown field's value. */
const withExtra = (extra: string) => `{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":${extra}}}`;

describe('strict JSON (serde_json semantics)', () => {
  it('decodes escapes, including surrogate pairs', () => {
    const header = parseHeaderJson(
      '{"__metadata__":{"k":"\\u00e9\\ud83d\\ude00\\n\\t\\r\\b\\f\\/\\\\\\""},"\\u0041":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}',
    );
    expect(header.metadata).toEqual({ k: 'é😀\n\t\r\b\f/\\"' });
    expect(header.tensors[0]?.name).toBe('A');
  });

  it('rejects lone surrogate escapes, raw control characters and unknown escapes', () => {
    for (const bad of [
      '"\\ud800"',
      '"\\udc00"',
      '"\\ud800\\u0041"',
      '"\\ud800x"',
      '"a\nb"',
      '"\\x41"',
      '"\\u12"',
      '"abc',
    ]) {
      expect(codeOf(`{"__metadata__":{"k":${bad}}}`), bad).toBe('INVALID_JSON');
    }
  });

  it('follows the JSON number grammar in ignored values', () => {
    for (const good of ['0', '-0', '-0.5e+3', '1E-2', '123456789012345678901234567890']) {
      expect(codeOf(withExtra(good)), good).toBe('ok');
    }
    for (const bad of ['01', '1.', '.5', '-', '1e', '+1', '0x10', 'NaN', 'Infinity', '1.e3']) {
      expect(codeOf(withExtra(bad)), bad).toBe('INVALID_JSON');
    }
  });

  it('rejects trailing commas, bad literals, missing colons and unterminated containers', () => {
    for (const bad of [
      '{"__metadata__":{},}',
      withExtra('[1,]'),
      withExtra('tru'),
      withExtra('{"x" 1}'),
      withExtra('[1 2]'),
      '{"t" {}}',
      '{',
      '{"a"',
      "{'a':1}",
    ]) {
      expect(codeOf(bad), bad).toBe('INVALID_JSON');
    }
    expect(codeOf(withExtra('{"x":[true,false,null,{"y":"z"}],"x":1}'))).toBe('ok');
  });

  it('limits nesting to 128 levels like serde_json, without overflowing the stack', () => {
    expect(codeOf(withExtra(`${'['.repeat(100)}${']'.repeat(100)}`))).toBe('ok');
    expect(codeOf(withExtra(`${'['.repeat(200)}${']'.repeat(200)}`))).toBe('INVALID_JSON');
    expect(codeOf(withExtra(`${'['.repeat(1_000_000)}`))).toBe('INVALID_JSON');
  });

  it('keeps u64 values exact: 2^64 - 1 is an integer, 2^64 is not', () => {
    const entry = (n: string) =>
      parseHeaderJson(`{"t":{"dtype":"U8","shape":[${n}],"data_offsets":[0,${n}]}}`);
    expect(entry('18446744073709551615').tensors[0]?.shape).toEqual([18446744073709551615n]);
    expect(entry('9007199254740991').tensors[0]?.shape).toEqual([9007199254740991]);
    expect(entry('9007199254740992').tensors[0]?.shape).toEqual([9007199254740992n]);
    expect(() => entry('18446744073709551616')).toThrow(expect.objectContaining({ code: 'INVALID_SHAPE' }));
  });
});
