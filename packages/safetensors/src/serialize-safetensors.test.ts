import { readdirSync, readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { DTYPE_NAMES, type Dtype } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { compareCodePoints } from './header-layout.js';
import { readSafetensors } from './open-safetensors.js';
import { parseSafetensorsHeader } from './parse-header.js';
import { serializeSafetensors, type TensorInput } from './serialize-safetensors.js';
import { serializeSafetensorsStream } from './serialize-stream.js';

const f32 = (...values: number[]) => new Float32Array(values);

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    return (error as SafetensorsError).code;
  }
  throw new Error('expected a SafetensorsError');
}

async function concat(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('byte layout of the Rust writer (safetensors/src/tensor.rs tests)', () => {
  it('test_serialization: F32 [1,2,3] named "attn.0"', () => {
    const out = serializeSafetensors({
      'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: f32(0, 1, 2, 3, 4, 5) },
    });
    expect([...out]).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101,
      34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34,
      100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0,
      0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('test_serialization_forced_alignement: "attn0" pads the header with 7 spaces', () => {
    const out = serializeSafetensors({
      attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: f32(0, 1, 2, 3, 4, 5) },
    });
    expect([...out.subarray(0, 8)]).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(out.subarray(8, 80))).toBe(
      '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ',
    );
  });

  it('test_serialization_fp4: F4 [1,2] in one byte', () => {
    const out = serializeSafetensors({ 'attn.0': { dtype: 'F4', shape: [1, 2], data: new Uint8Array([0]) } });
    expect([...out]).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101,
      34, 58, 34, 70, 52, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 93, 44, 34, 100, 97,
      116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 49, 93, 125, 125, 32, 32, 32, 32, 0,
    ]);
  });

  it('test_empty: no tensors, with and without metadata', () => {
    expect([...serializeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect([...serializeSafetensors({}, { framework: 'pt' })]).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34,
      102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('sorts by descending dtype rank, then name by code point (UTF-8 byte order)', () => {
    const tensor = (dtype: Dtype): TensorInput => ({ dtype, shape: [0], data: new Uint8Array(0) });
    const names = ['b', 'a', '\u{ff5e}', '\u{1f600}', 'B', 'é'];
    const input = new Map<string, TensorInput>();
    for (const name of names) input.set(name, tensor('F16'));
    for (const dtype of DTYPE_NAMES) input.set(`t_${dtype}`, tensor(dtype));
    const order = parseSafetensorsHeader(serializeSafetensors(input)).tensors.map((t) => t.name);
    // Offsets are all 0 here, so the parser keeps header order: check the header order itself.
    const header = new TextDecoder().decode(serializeSafetensors(input));
    const positions = [...input.keys()].map((k) => [k, header.indexOf(`${JSON.stringify(k)}:`)] as const);
    const headerOrder = positions.sort((x, y) => x[1] - y[1]).map(([k]) => k);
    expect(order).toEqual(headerOrder);
    const utf8Sort = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const expected = [...DTYPE_NAMES]
      .reverse()
      .flatMap((d) => (d === 'F16' ? ['t_F16', ...names].sort(utf8Sort) : [`t_${d}`]));
    expect(headerOrder).toEqual(expected);
  });

  it('compareCodePoints matches UTF-8 byte order, unlike UTF-16 order', () => {
    const samples = ['a', 'z', '\u{e000}', '\u{ffff}', '\u{10000}', '\u{1f600}', '\u{d7ff}', 'ab', ''];
    for (const x of samples) {
      for (const y of samples) {
        expect(Math.sign(compareCodePoints(x, y)), `${x} vs ${y}`).toBe(
          Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))),
        );
      }
    }
    expect('\u{ffff}' < '\u{1f600}').toBe(false); // UTF-16 order differs
  });
});

describe('Python-written files (fixtures/golden) re-serialize byte for byte', () => {
  const files = readdirSync(fixturePath('golden'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.safetensors'))
    .sort();

  it('covers every base model and adapter the brief names, plus the other golden files', () => {
    for (const base of readdirSync(fixturePath('golden', 'bases')))
      expect(files).toContain(`bases/${base}/model.safetensors`);
    for (const c of readdirSync(fixturePath('golden', 'cases')).filter((c) => c !== 'opt-weighted')) {
      expect(files).toContain(`cases/${c}/adapter/adapter_model.safetensors`);
    }
    expect(files.length).toBeGreaterThan(30);
  });

  it.each(files)('%s', async (file) => {
    const original = new Uint8Array(readFileSync(fixturePath('golden', file)));
    const { metadata, tensors } = await readSafetensors(original);
    expect(tensors.size).toBeGreaterThan(0);
    const again = serializeSafetensors(tensors, metadata);
    expect(Buffer.compare(again, original)).toBe(0);
    const streamed = await concat(serializeSafetensorsStream(tensors, { metadata }));
    expect(Buffer.compare(streamed, original)).toBe(0);
  });
});

/**
 * A file written by Python (safetensors 0.8.0, torch 2.11.0): one [3, 8] tensor of every dtype torch has
 * (all but F6_E2M3/F6_E3M2), a scalar named 'é名😀', an empty F16 [2, 0], and two metadata keys:
 *   save_file(tensors, path, metadata={'format': 'pt', 'ключ': 'значение'})
 */
const PYTHON_ALL_DTYPES =
  'AAYAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCIsItC60LvRjtGHIjoi0LfQvdCw0YfQtdC90LjQtSJ9LCJ0' +
  'LnU2NCI6eyJkdHlwZSI6IlU2NCIsInNoYXBlIjpbMyw4XSwiZGF0YV9vZmZzZXRzIjpbMCwxOTJdfSwidC5pNjQiOnsiZHR5' +
  'cGUiOiJJNjQiLCJzaGFwZSI6WzMsOF0sImRhdGFfb2Zmc2V0cyI6WzE5MiwzODRdfSwidC5mNjQiOnsiZHR5cGUiOiJGNjQi' +
  'LCJzaGFwZSI6WzMsOF0sImRhdGFfb2Zmc2V0cyI6WzM4NCw1NzZdfSwidC5jNjQiOnsiZHR5cGUiOiJDNjQiLCJzaGFwZSI6' +
  'WzMsOF0sImRhdGFfb2Zmc2V0cyI6WzU3Niw3NjhdfSwidC5mMzIiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzMsOF0sImRh' +
  'dGFfb2Zmc2V0cyI6Wzc2OCw4NjRdfSwiw6nlkI3wn5iAIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOltdLCJkYXRhX29mZnNl' +
  'dHMiOls4NjQsODY4XX0sInQudTMyIjp7ImR0eXBlIjoiVTMyIiwic2hhcGUiOlszLDhdLCJkYXRhX29mZnNldHMiOls4Njgs' +
  'OTY0XX0sInQuaTMyIjp7ImR0eXBlIjoiSTMyIiwic2hhcGUiOlszLDhdLCJkYXRhX29mZnNldHMiOls5NjQsMTA2MF19LCJ0' +
  'LmJmMTYiOnsiZHR5cGUiOiJCRjE2Iiwic2hhcGUiOlszLDhdLCJkYXRhX29mZnNldHMiOlsxMDYwLDExMDhdfSwidC5mMTYi' +
  'OnsiZHR5cGUiOiJGMTYiLCJzaGFwZSI6WzMsOF0sImRhdGFfb2Zmc2V0cyI6WzExMDgsMTE1Nl19LCJ6ZXJvIjp7ImR0eXBl' +
  'IjoiRjE2Iiwic2hhcGUiOlsyLDBdLCJkYXRhX29mZnNldHMiOlsxMTU2LDExNTZdfSwidC51MTYiOnsiZHR5cGUiOiJVMTYi' +
  'LCJzaGFwZSI6WzMsOF0sImRhdGFfb2Zmc2V0cyI6WzExNTYsMTIwNF19LCJ0LmkxNiI6eyJkdHlwZSI6IkkxNiIsInNoYXBl' +
  'IjpbMyw4XSwiZGF0YV9vZmZzZXRzIjpbMTIwNCwxMjUyXX0sInQuZjhfZTVtMmZudXoiOnsiZHR5cGUiOiJGOF9FNU0yRk5V' +
  'WiIsInNoYXBlIjpbMyw4XSwiZGF0YV9vZmZzZXRzIjpbMTI1MiwxMjc2XX0sInQuZjhfZTRtM2ZudXoiOnsiZHR5cGUiOiJG' +
  'OF9FNE0zRk5VWiIsInNoYXBlIjpbMyw4XSwiZGF0YV9vZmZzZXRzIjpbMTI3NiwxMzAwXX0sInQuZjhfZThtMCI6eyJkdHlw' +
  'ZSI6IkY4X0U4TTAiLCJzaGFwZSI6WzMsOF0sImRhdGFfb2Zmc2V0cyI6WzEzMDAsMTMyNF19LCJ0LmY4X2U0bTMiOnsiZHR5' +
  'cGUiOiJGOF9FNE0zIiwic2hhcGUiOlszLDhdLCJkYXRhX29mZnNldHMiOlsxMzI0LDEzNDhdfSwidC5mOF9lNW0yIjp7ImR0' +
  'eXBlIjoiRjhfRTVNMiIsInNoYXBlIjpbMyw4XSwiZGF0YV9vZmZzZXRzIjpbMTM0OCwxMzcyXX0sInQuaTgiOnsiZHR5cGUi' +
  'OiJJOCIsInNoYXBlIjpbMyw4XSwiZGF0YV9vZmZzZXRzIjpbMTM3MiwxMzk2XX0sInQudTgiOnsiZHR5cGUiOiJVOCIsInNo' +
  'YXBlIjpbMyw4XSwiZGF0YV9vZmZzZXRzIjpbMTM5NiwxNDIwXX0sInQuZjQiOnsiZHR5cGUiOiJGNCIsInNoYXBlIjpbMyw4' +
  'XSwiZGF0YV9vZmZzZXRzIjpbMTQyMCwxNDMyXX0sInQuYm9vbCI6eyJkdHlwZSI6IkJPT0wiLCJzaGFwZSI6WzMsOF0sImRh' +
  'dGFfb2Zmc2V0cyI6WzE0MzIsMTQ1Nl19fSAgICAgICCi0+fbVD86bMnhuVTkzOnHyVWMOtwOqNHA5mCZDlhq8A4eYPFYjuYj' +
  'QDcQpw0RjmTX5G4TsymcEJDVAZ7VKlPhnxEZwS2JtNDlM8CErzKEJW44oAZ2Qgi2PFdaSKRe4VSx3UtjPMstLpygoeyqVT9W' +
  'vmEeoyC78GxCkTOn7oe/viEmKBr1WHsHP8rz61eL8dHS4ZmKWV0Z4G/dIcjogpXemGec+LCYgDIjk/A964s+oEOpn/LrRm4i' +
  'aDNqsELz9fJXttOWCgefL8yCbyCQtlstv8Bnmok68t9lQLXFt5Bmh2uqUPKY8fyFqg3HEIf64pzt2x0y13z4H1miom+uXgEy' +
  '0yezKpljCUi64DJIFrnI3b767X3aZHWp+KHLXWILHMdAa0e18C7SUFqvOTzsvxlM+6QlhNPwR4PRRteYwYWYCdU72tKNmPCV' +
  'c2Iu7e2PG4sB6LRzmHLpYKYc2E+rrF7h8e9UgDRbYfXSK0gQklZvQwFBhS97mAKXkoDN7A68fK5JkiRJkiT5P27btm3bthHA' +
  '27Zt27ZtH0CSJEmSJEkewAAAAAAAADLAkiRJkiRJ8j9JkiRJkiQnQCVJkiRJkiZAkiRJkiRJJMC3bdu2bdsSwLdt27Zt2ybA' +
  'AAAAAAAAKkAAAAAAAADwv5IkSZIkSSZAt23btm3bJMAlSZIkSZIcwNu2bdu2bQNAJUmSJEmSIMAAAAAAAADwvwAAAAAAACrA' +
  'JUmSJEmSJsAlSZIkSZL0PyVJkiRJkjBAAAAAAAAAGMAAAFDBt21bQAAAYMElSUJBt20LwSVJ0sAAAIBBbts2QNu2bUAAAHBB' +
  'kiQJQG7bjkFu21bBAAAwQW7bZkFu27bAJUkSwJIkiUAlSRLBSZKkv0mSZMFu29ZASZKMwUmSjEEAAABAJUlSwdu2HcFJkiTB' +
  'SZKkQAAAgEG3bSvBAACgQNu27UAAAKDAkiQpwW7blkCSJInBJUnSwJIkCcAAAABAkiQZwW7btj8AAEBAkiSRwbdt2z9JkgRB' +
  't20bQG7bNr+3bTtBbtu2v27bNsGSJKnAJUmSvrdt+8AAAGBBJUlSQQAAgMGSJOnA27Ztwbdti0FJkmRBJUmSPkmSJMBJkqS/' +
  '27aNQJIkWcFJkuTA27YNQdu2jUAlSfJASZLEQLdtK0EAAMA/zF+TEnuuC7x6l3gJ8V8kB7mdiszfl5KXXAv3+nXMZ/KRXwRZ' +
  'L/4pKm2xyahzuJlOUqrf8sLmGI5EjkxhkIKEKw7aCYJ3dVQ4a/51oSkzdx3TXK2/71DrEPCZPTScBJtwZ+/E1ttegTAnwqCq' +
  'V5t1k3S3q2RA7Q6GbeFc6pB6Pc8R4QGOSGt6yh9FJzhNjLRkCXzw7oZj5Z/yTcuENEo/PWL2fpRR++JAUcyhpO1qjY6tI9P5' +
  '1U+9zCQTcQvNCEqwuAp76mRSbaB4ZYkNuzKLPEIrtbLJxkA1RtJZr/Xlnm6olWJlA79RRUbpeKH8gbS4E0gMu6h7eCBku3d9' +
  'XWYCh8eTj2Z0FNkzvNapwcX3sxWCJovkPXY18eOXaJYPqXMqe2rAAqvNfxnmw6R3JhhO/vvFv++jiegrR8frZFIIp9AFl4rW' +
  'FVn18w0dYKwFsJpnWXcfeqW0IKEQX04qN3I4H7gUM3GvSdtggbPtWKs6M/D/Tbt6nsLa8TFZq3doNpPWflCO70NXtUR/mVnH' +
  'FBtpAyft6vcCcnE4tn0qazBbA+M4Q88ei8bLNM5/e2tnuT9RaEjlGmWH1c101TdAhbfS5VU7Bszmtv+H7lWH/AEP6qvTtzJs' +
  'HxnkHKgBXv6TbHBPmJ8UESRbEyBeVHD7O16GSyf0jwpJ4elZ/VNWLx4Yts6ICnHHm9HxVs7LxD3awkqAQeFA7NOIR+KWPRnl' +
  'KZavXbM/LO8UOeHI7CsSkkcsK6lLwwN7AQEAAQAAAAEAAAEBAAEBAQABAAABAAEB';

describe('a Python-written file with every dtype torch supports', () => {
  const original = new Uint8Array(Buffer.from(PYTHON_ALL_DTYPES, 'base64'));

  it('parses, and re-serializes byte for byte', async () => {
    const { metadata, tensors } = await readSafetensors(original);
    expect(metadata).toEqual({ format: 'pt', ключ: 'значение' });
    expect(new Set([...tensors.values()].map((t) => t.dtype))).toEqual(
      new Set(DTYPE_NAMES.filter((d) => d !== 'F6_E2M3' && d !== 'F6_E3M2')),
    );
    expect(tensors.get('t.f4')?.shape).toEqual([3, 8]);
    expect(tensors.get('t.f4')?.data.length).toBe(12);
    expect(tensors.get('é名😀')?.shape).toEqual([]);
    expect(Buffer.compare(serializeSafetensors(tensors, metadata), original)).toBe(0);
  });
});

describe('write-side validation', () => {
  const ok: TensorInput = { dtype: 'F32', shape: [2], data: f32(1, 2) };

  it('SIZE_MISMATCH when data length differs from dtype × shape (InvalidTensorView)', () => {
    expect(codeOf(() => serializeSafetensors({ a: { dtype: 'F32', shape: [3], data: f32(1, 2) } }))).toBe(
      'SIZE_MISMATCH',
    );
    // test_serialization_fp4_invalid: F4 [1,2] with 2 bytes
    expect(
      codeOf(() => serializeSafetensors({ a: { dtype: 'F4', shape: [1, 2], data: new Uint8Array(2) } })),
    ).toBe('SIZE_MISMATCH');
    expect(() => serializeSafetensors({ a: { dtype: 'F32', shape: [3], data: f32(1, 2) } })).toThrow(
      /tensor "a": dtype × shape needs 12 bytes, but its data has 8/,
    );
    const notBytes = { dtype: 'F32', shape: [2], data: [1, 2] } as unknown as TensorInput;
    expect(() => serializeSafetensors({ w: notBytes })).toThrow(
      /tensor "w": data must be a typed array or DataView, got \[1,2\]/,
    );
  });

  it('MISALIGNED_SLICE for sub-byte tensors of a partial byte (test_serialization_fp4_misaligned)', () => {
    expect(
      codeOf(() => serializeSafetensors({ a: { dtype: 'F4', shape: [1, 3], data: new Uint8Array(2) } })),
    ).toBe('MISALIGNED_SLICE');
  });

  it('INVALID_DTYPE, INVALID_SHAPE, OVERFLOW, DUPLICATE_NAME, INVALID_HEADER, INVALID_METADATA, INVALID_UTF8', () => {
    const bad = (t: Partial<TensorInput>) => ({ a: { ...ok, ...t } as TensorInput });
    expect(codeOf(() => serializeSafetensors(bad({ dtype: 'F128' as Dtype })))).toBe('INVALID_DTYPE');
    for (const shape of [[-1], [1.5], [Number.NaN], [2 ** 53]]) {
      expect(
        codeOf(() => serializeSafetensors(bad({ shape }))),
        String(shape),
      ).toBe('INVALID_SHAPE');
    }
    expect(codeOf(() => serializeSafetensors(bad({ shape: [2 ** 30, 2 ** 30, 2 ** 30] })))).toBe('OVERFLOW');
    expect(codeOf(() => serializeSafetensors([['a', ok] as const, ['a', ok] as const]))).toBe(
      'DUPLICATE_NAME',
    );
    expect(codeOf(() => serializeSafetensors({ __metadata__: ok }))).toBe('INVALID_HEADER');
    expect(codeOf(() => serializeSafetensors({ a: ok }, { k: 1 as unknown as string }))).toBe(
      'INVALID_METADATA',
    );
    expect(codeOf(() => serializeSafetensors({ '\ud800': ok }))).toBe('INVALID_UTF8');
    expect(codeOf(() => serializeSafetensors({ a: ok }, { k: 'x\udfff' }))).toBe('INVALID_UTF8');
  });

  it('HEADER_TOO_LARGE when the padded header exceeds 100 MB (test_invalid_header_size_serialization)', () => {
    expect(codeOf(() => serializeSafetensors({}, { very_large_metadata: 'a'.repeat(100_000_000) }))).toBe(
      'HEADER_TOO_LARGE',
    );
  });

  it('escapes names and metadata as serde_json does, and reads them back', async () => {
    const name = 'q"\\/\n\t\u0001\u007f\u2028é😀';
    const out = serializeSafetensors({ [name]: ok }, { 'k\u0000': 'v"\r' });
    const header = new TextDecoder().decode(out.subarray(8, 8 + Number(out[0])));
    expect(header).toContain('"q\\"\\\\/\\n\\t\\u0001\u007f\u2028é😀"');
    expect(header).toContain('{"k\\u0000":"v\\"\\r"}');
    const back = await readSafetensors(out);
    expect([...back.tensors.keys()]).toEqual([name]);
    expect(back.metadata).toEqual({ 'k\u0000': 'v"\r' });
  });
});
