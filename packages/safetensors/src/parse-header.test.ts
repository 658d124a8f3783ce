import { describe, expect, it } from 'vitest';
import { SafetensorsError } from './errors.js';
import { MAX_HEADER_BYTES, parseSafetensorsHeader } from './parse-header.js';

const enc = new TextEncoder();

/** Bytes from a Rust-style byte string: `\xNN` escapes, everything else as is (ASCII). */
function b(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === 'x') {
      out.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else out.push(text.charCodeAt(i));
  }
  return new Uint8Array(out);
}

/** A file: 8-byte length of `header` (UTF-8), the header, then `dataBytes` zero bytes. */
function file(header: string, dataBytes = 0): Uint8Array {
  const json = enc.encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

const tensor = (dtype: string, shape: string, offsets: string) =>
  `{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}`;

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    return (error as SafetensorsError).code;
  }
  throw new Error('expected a SafetensorsError');
}

const I32_2X2 = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
const ZEROS_16 = '\\x00'.repeat(16);

describe('Rust reference test vectors (safetensors/src/tensor.rs)', () => {
  it('test_deserialization: reads I32 [2,2]', () => {
    const header = parseSafetensorsHeader(b(`<\\x00\\x00\\x00\\x00\\x00\\x00\\x00${I32_2X2}${ZEROS_16}`));
    expect(header.tensors).toEqual([
      { name: 'test', dtype: 'I32', shape: [2, 2], dataOffsets: [0, 16], byteLength: 16, elementCount: 4 },
    ]);
    expect(header.headerByteLength).toBe(60);
    expect(header.dataOffset).toBe(68);
    expect(header.metadata).toBeUndefined();
  });

  it('test_empty_shapes_allowed: a rank-0 scalar has one element', () => {
    const bytes = b(
      `8\\x00\\x00\\x00\\x00\\x00\\x00\\x00{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}\\x00\\x00\\x00\\x00`,
    );
    expect(parseSafetensorsHeader(bytes).tensors[0]).toMatchObject({
      shape: [],
      elementCount: 1,
      byteLength: 4,
    });
  });

  it('test_zero_sized_tensor: [2,0] with offsets [0, 0]', () => {
    const bytes = b(
      `<\\x00\\x00\\x00\\x00\\x00\\x00\\x00{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}`,
    );
    expect(parseSafetensorsHeader(bytes).tensors[0]).toMatchObject({ shape: [2, 0], byteLength: 0 });
  });

  it('test_whitespace_padded_header and test_whitespace_leading_padded_header', () => {
    expect(
      parseSafetensorsHeader(b('\\x06\\x00\\x00\\x00\\x00\\x00\\x00\\x00{}\\x0D\\x20\\x09\\x0A')).tensors,
    ).toEqual([]);
    expect(
      parseSafetensorsHeader(b('\\x06\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x09\\x0A{}\\x0D\\x20')).tensors,
    ).toEqual([]);
  });

  it('HEADER_TOO_SMALL: test_header_too_small (empty input) and 7 bytes', () => {
    expect(codeOf(() => parseSafetensorsHeader(new Uint8Array(0)))).toBe('HEADER_TOO_SMALL');
    expect(codeOf(() => parseSafetensorsHeader(new Uint8Array(7)))).toBe('HEADER_TOO_SMALL');
  });

  it('HEADER_TOO_LARGE: test_header_too_large (\\xff high bytes), > 100 MB and > 2^53', () => {
    const vector = b(`<\\x00\\x00\\x00\\x00\\xff\\xff\\xff${I32_2X2}${ZEROS_16}`);
    expect(codeOf(() => parseSafetensorsHeader(vector))).toBe('HEADER_TOO_LARGE');
    const over = new Uint8Array(16);
    new DataView(over.buffer).setUint32(0, MAX_HEADER_BYTES + 1, true);
    expect(codeOf(() => parseSafetensorsHeader(over))).toBe('HEADER_TOO_LARGE');
    new DataView(over.buffer).setBigUint64(0, 2n ** 53n + 1n, true);
    expect(() => parseSafetensorsHeader(over)).toThrow(/9007199254740993 bytes; the maximum is 100000000/);
    // Exactly the limit is allowed by this check (then fails on length, as in Rust).
    new DataView(over.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES), true);
    expect(codeOf(() => parseSafetensorsHeader(over))).toBe('INVALID_HEADER_LENGTH');
  });

  it('INVALID_HEADER_LENGTH: test_invalid_header_length (60-byte header, nothing after)', () => {
    expect(codeOf(() => parseSafetensorsHeader(b('<\\x00\\x00\\x00\\x00\\x00\\x00\\x00')))).toBe(
      'INVALID_HEADER_LENGTH',
    );
  });

  it('INVALID_UTF8: test_invalid_header_non_utf8 (\\xff), overlong and surrogate encodings', () => {
    expect(codeOf(() => parseSafetensorsHeader(b('\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xff')))).toBe(
      'INVALID_UTF8',
    );
    expect(
      codeOf(() => parseSafetensorsHeader(b('\\x04\\x00\\x00\\x00\\x00\\x00\\x00\\x00{}\\xc0\\xaf'))),
    ).toBe('INVALID_UTF8');
    expect(
      codeOf(() => parseSafetensorsHeader(b('\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00{}\\xed\\xa0\\x80'))),
    ).toBe('INVALID_UTF8');
  });

  it('INVALID_JSON: test_invalid_header_not_json ("{"), non-object roots, a BOM', () => {
    expect(codeOf(() => parseSafetensorsHeader(b('\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00{')))).toBe(
      'INVALID_JSON',
    );
    for (const root of ['[]', '"x"', '1', 'null', '', '   ', '{} {}', '{}x', '\uFEFF{}']) {
      expect(
        codeOf(() => parseSafetensorsHeader(file(root))),
        root,
      ).toBe('INVALID_JSON');
    }
  });

  it('SIZE_MISMATCH: test_invalid_info (I32 [2,2] with offsets [0, 4])', () => {
    const bytes = b(
      `<\\x00\\x00\\x00\\x00\\x00\\x00\\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}`,
    );
    expect(codeOf(() => parseSafetensorsHeader(bytes))).toBe('SIZE_MISMATCH');
    expect(() => parseSafetensorsHeader(bytes)).toThrow(/"test".*takes 16 bytes.*\[0, 4\] span 4/);
  });

  it('OVERFLOW: test_validation_overflow (shape [2,18446744073709551614] and [2,9223372036854775807])', () => {
    const first = b(
      `O\\x00\\x00\\x00\\x00\\x00\\x00\\x00{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}${ZEROS_16}`,
    );
    expect(codeOf(() => parseSafetensorsHeader(first))).toBe('OVERFLOW');
    const second = b(
      `N\\x00\\x00\\x00\\x00\\x00\\x00\\x00{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}${ZEROS_16}`,
    );
    expect(codeOf(() => parseSafetensorsHeader(second))).toBe('OVERFLOW');
    expect(() => parseSafetensorsHeader(second)).toThrow(/overflow u64 when counted in bits/);
  });

  it('INVALID_OFFSETS: test_json_attack (ten tensors sharing [0, 16])', () => {
    const entries = Array.from({ length: 10 }, (_, i) => `"weight_${i}":${tensor('F32', '[2,2]', '[0,16]')}`);
    expect(codeOf(() => parseSafetensorsHeader(file(`{${entries.join(',')}}`, 16)))).toBe('INVALID_OFFSETS');
  });

  it('INCOMPLETE_BUFFER: test_metadata_incomplete_buffer (polyglot trailing bytes, 2 missing bytes)', () => {
    const prefix = `<\\x00\\x00\\x00\\x00\\x00\\x00\\x00${I32_2X2}`;
    const trailing = b(`${prefix}${ZEROS_16}extra_bogus_data_for_polyglot_file`);
    expect(codeOf(() => parseSafetensorsHeader(trailing))).toBe('INCOMPLETE_BUFFER');
    expect(() => parseSafetensorsHeader(trailing)).toThrow(/trailing bytes/);
    const missing = b(`${prefix}${'\\x00'.repeat(14)}`);
    expect(codeOf(() => parseSafetensorsHeader(missing))).toBe('INCOMPLETE_BUFFER');
    expect(() => parseSafetensorsHeader(missing)).toThrow(/missing bytes/);
  });

  it('MISALIGNED_SLICE: test_serialization_fp4_misaligned (F4 [1,3])', () => {
    expect(codeOf(() => parseSafetensorsHeader(file(`{"a":${tensor('F4', '[1,3]', '[0,2]')}}`, 2)))).toBe(
      'MISALIGNED_SLICE',
    );
    expect(codeOf(() => parseSafetensorsHeader(file(`{"a":${tensor('F6_E2M3', '[3]', '[0,3]')}}`, 3)))).toBe(
      'MISALIGNED_SLICE',
    );
    expect(
      parseSafetensorsHeader(file(`{"a":${tensor('F6_E3M2', '[4]', '[0,3]')}}`, 3)).tensors[0]?.byteLength,
    ).toBe(3);
  });
});

describe('schema checks', () => {
  it('INVALID_DTYPE: unknown, lower-case, alias and non-string dtypes', () => {
    for (const dtype of ['"F128"', '"f32"', '"E8M0"', '"FP4"', '"UE8"', '1', 'null']) {
      const header = `{"a":{"dtype":${dtype},"shape":[1],"data_offsets":[0,4]}}`;
      expect(
        codeOf(() => parseSafetensorsHeader(file(header, 4))),
        dtype,
      ).toBe('INVALID_DTYPE');
    }
  });

  it('INVALID_SHAPE: negative, fractional, exponent, string, >= 2^64 dims; shape not an array', () => {
    for (const shape of ['[-1]', '[1.0]', '[1e2]', '["1"]', '[18446744073709551616]', '{}', '1', '[-0]']) {
      const header = `{"a":{"dtype":"U8","shape":${shape},"data_offsets":[0,1]}}`;
      expect(
        codeOf(() => parseSafetensorsHeader(file(header, 1))),
        shape,
      ).toBe('INVALID_SHAPE');
    }
  });

  it('INVALID_OFFSETS: not a pair, negative, gaps, overlaps, end < begin, not starting at 0', () => {
    const cases: [string, number][] = [
      [`{"a":${tensor('U8', '[1]', '[0]')}}`, 1],
      [`{"a":${tensor('U8', '[1]', '[0,1,2]')}}`, 1],
      [`{"a":${tensor('U8', '[1]', '[-1,0]')}}`, 1],
      [`{"a":${tensor('U8', '[1]', '"0,1"')}}`, 1],
      [`{"a":${tensor('U8', '[1]', '[1,2]')}}`, 2],
      [`{"a":${tensor('U8', '[1]', '[0,1]')},"b":${tensor('U8', '[1]', '[2,3]')}}`, 3],
      [`{"a":${tensor('U8', '[2]', '[0,2]')},"b":${tensor('U8', '[1]', '[1,2]')}}`, 2],
      [`{"a":${tensor('U8', '[0]', '[1,0]')}}`, 0],
    ];
    for (const [header, data] of cases) {
      expect(
        codeOf(() => parseSafetensorsHeader(file(header, data))),
        header,
      ).toBe('INVALID_OFFSETS');
    }
    expect(() => parseSafetensorsHeader(file(cases[5]![0], 3))).toThrow(
      /tensor "b" has data_offsets \[2, 3\]/,
    );
  });

  it('OVERFLOW: offsets beyond 2^53 - 1 that are otherwise consistent', () => {
    const big = 2 ** 53 + 2;
    const header = `{"a":${tensor('U8', `[${big}]`, `[0,${big}]`)}}`;
    expect(codeOf(() => parseSafetensorsHeader(file(header), { totalSize: 8 + header.length + big }))).toBe(
      'OVERFLOW',
    );
  });

  it('DUPLICATE_NAME: two tensors, or two __metadata__, or a repeated metadata key', () => {
    const a = tensor('U8', '[1]', '[0,1]');
    expect(codeOf(() => parseSafetensorsHeader(file(`{"a":${a},"a":${a}}`, 1)))).toBe('DUPLICATE_NAME');
    expect(() => parseSafetensorsHeader(file(`{"a":${a},"\\u0061":${a}}`, 1))).toThrow(
      /two tensors named "a"/,
    );
    const meta = '"__metadata__":{"k":"v"}';
    expect(codeOf(() => parseSafetensorsHeader(file(`{${meta},${meta}}`)))).toBe('DUPLICATE_NAME');
    expect(codeOf(() => parseSafetensorsHeader(file('{"__metadata__":{"k":"v","k":"w"}}')))).toBe(
      'DUPLICATE_NAME',
    );
  });

  it('INVALID_METADATA: non-string values, non-object metadata', () => {
    for (const meta of ['{"k":1}', '{"k":null}', '{"k":{}}', '{"k":["v"]}', '[]', '"x"', 'true']) {
      expect(
        codeOf(() => parseSafetensorsHeader(file(`{"__metadata__":${meta}}`))),
        meta,
      ).toBe('INVALID_METADATA');
    }
  });

  it('INVALID_HEADER: tensor entry not an object, missing fields, repeated fields', () => {
    for (const entry of [
      '1',
      '[]',
      '"x"',
      '{"dtype":"U8","shape":[1]}',
      '{"shape":[1],"data_offsets":[0,1]}',
      '{"dtype":"U8","data_offsets":[0,1]}',
      '{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}',
    ]) {
      expect(
        codeOf(() => parseSafetensorsHeader(file(`{"a":${entry}}`, 1))),
        entry,
      ).toBe('INVALID_HEADER');
    }
  });

  it('accepts what serde accepts: unknown fields, null metadata, whitespace, any tensor order', () => {
    const header =
      ' \n{ "__metadata__" : null , "b" : {"dtype":"U8","extra":{"x":[1,{"y":null}],"x":2},"shape":[1],' +
      '"data_offsets":[1,2]}, "a":{"data_offsets":[0,1],"shape":[1],"dtype":"BOOL"} }\t\r\n ';
    const parsed = parseSafetensorsHeader(file(header, 2));
    expect(parsed.metadata).toBeUndefined();
    expect(parsed.tensors.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('keeps metadata keys like __proto__ as data, and non-ASCII names exactly', () => {
    const header = `{"__metadata__":{"__proto__":"x","format":"pt"},"é\\u00e9😀":${tensor('U8', '[1]', '[0,1]')}}`;
    const parsed = parseSafetensorsHeader(file(header, 1));
    expect(Object.keys(parsed.metadata ?? {})).toEqual(['__proto__', 'format']);
    expect(Object.getOwnPropertyDescriptor(parsed.metadata, '__proto__')?.value).toBe('x');
    expect(parsed.tensors[0]?.name).toBe('éé😀');
  });

  it('reads a header from a prefix with totalSize, and rejects a prefix shorter than the header', () => {
    const bytes = file(I32_2X2, 16);
    const header = parseSafetensorsHeader(bytes.subarray(0, 68), { totalSize: bytes.length });
    expect(header.dataByteLength).toBe(16);
    expect(codeOf(() => parseSafetensorsHeader(bytes.subarray(0, 30), { totalSize: bytes.length }))).toBe(
      'INVALID_HEADER_LENGTH',
    );
  });
});
