import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { buildZip, bytesOf } from './archive-builder.test.helper.js';
import { crc32 } from './crc32.js';
import { readTorchCheckpoint } from './read-torch-checkpoint.js';
import { TorchLoadError } from './torch-error.js';
import { readZipEntries } from './zip-reader.js';

const enc = new TextEncoder();
const peftBin = readFileSync(fixturePath('generated', 'bin', 'opt-ia3', 'adapter_model.bin'));

function caught(fn: () => unknown): TorchLoadError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TorchLoadError) return e;
    throw e;
  }
  throw new Error('expected a TorchLoadError, nothing was thrown');
}

/** A copy of `zip` with `patch(view, cdOffset)` applied; `cdOffset` is read from the classic end record. */
function patched(zip: Uint8Array, patch: (view: DataView, cd: number, eocd: number) => void): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  const eocd = copy.length - 22;
  patch(view, view.getUint32(eocd + 16, true), eocd);
  return copy;
}

const sample = () =>
  buildZip([
    ['a/data.pkl', enc.encode('hello')],
    ['a/data/0', new Uint8Array([1, 2, 3, 4])],
  ]);

describe('readZipEntries', () => {
  it('lists a PEFT-written torch archive like Python zipfile does (ZIP64 end record, FB padding, descriptors)', () => {
    const entries = readZipEntries(peftBin);
    expect([...entries.keys()]).toEqual([
      'adapter_model/data.pkl',
      'adapter_model/.format_version',
      'adapter_model/.storage_alignment',
      'adapter_model/byteorder',
      ...[0, 1, 2, 3, 4, 5].map((i) => `adapter_model/data/${i}`),
      'adapter_model/version',
      'adapter_model/.data/serialization_id',
    ]);
    expect(new TextDecoder().decode(entries.get('adapter_model/byteorder'))).toBe('little');
    expect(entries.get('adapter_model/data.pkl')?.length).toBe(812);
    for (const [name, data] of entries) {
      if (name.includes('/data/')) expect((data.byteOffset - peftBin.byteOffset) % 64, name).toBe(0); // torch aligns storages
    }
  });

  it('returns views of the input and reads an archive with a trailing comment', () => {
    const zip = sample();
    const withComment = patched(bytesOf(zip, 'torch!'), (v, _cd, eocd) =>
      v.setUint16(eocd - 6 + 20, 6, true),
    );
    const entries = readZipEntries(withComment);
    expect(Array.from(entries.get('a/data/0') ?? [])).toEqual([1, 2, 3, 4]);
  });

  it('computes the ZIP CRC-32', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  const bad: [string, () => Uint8Array, RegExp][] = [
    ['no end record', () => new Uint8Array(100), /no end-of-central-directory/],
    [
      'bad central directory signature',
      () => patched(sample(), (v, cd) => v.setUint32(cd, 0x12345678, true)),
      /bad central directory signature/,
    ],
    [
      'central directory offset past the end',
      () => patched(sample(), (v, _cd, e) => v.setUint32(e + 16, 0x7fffffff, true)),
      /central directory/,
    ],
    [
      'central directory size too small for its entries',
      () => patched(sample(), (v, _cd, e) => v.setUint32(e + 12, 50, true)),
      /cannot fit|runs past|declares/,
    ],
    [
      'more entries than the directory holds',
      () =>
        patched(sample(), (v, _cd, e) => {
          v.setUint16(e + 8, 3, true);
          v.setUint16(e + 10, 3, true);
        }),
      /entries|past/,
    ],
    [
      'local header offset past the end',
      () => patched(sample(), (v, cd) => v.setUint32(cd + 42, 0x7ffffff0, true)),
      /past the end/,
    ],
    [
      'entry size past the end',
      () =>
        patched(sample(), (v, cd) => {
          v.setUint32(cd + 20, 0x7ffffff0, true);
          v.setUint32(cd + 24, 0x7ffffff0, true);
        }),
      /past the end|overlaps/,
    ],
    [
      'stored sizes that disagree',
      () => patched(sample(), (v, cd) => v.setUint32(cd + 20, 4, true)),
      /compressed size 4/,
    ],
    [
      'local header of another file',
      () => patched(sample(), (v) => v.setUint8(30, 0x62)),
      /names a different file/,
    ],
    [
      'CRC mismatch',
      () => buildZip([['a/x', enc.encode('data')]], { badCrc: true }),
      /CRC-32 mismatch in 'a\/x'/,
    ],
    [
      'duplicate names',
      () =>
        buildZip([
          ['a/x', enc.encode('1')],
          ['a/x', enc.encode('2')],
        ]),
      /duplicate entry name 'a\/x'/,
    ],
    [
      'ZIP64 markers without a locator',
      () => patched(sample(), (v, _cd, e) => v.setUint32(e + 16, 0xffffffff, true)),
      /ZIP64/,
    ],
    [
      'ZIP64 size marker without the extra field',
      () =>
        patched(sample(), (v, cd) => {
          v.setUint32(cd + 20, 0xffffffff, true);
          v.setUint32(cd + 24, 0xffffffff, true);
        }),
      /no ZIP64 extra field/,
    ],
  ];
  for (const [label, make, message] of bad) {
    it(`BAD_ZIP: ${label}`, () => {
      const e = caught(() => readZipEntries(make()));
      expect(e.code).toBe('BAD_ZIP');
      expect(e.message).toMatch(message);
    });
  }

  it('BAD_ZIP: a ZIP64 locator pointing past the end', () => {
    const z64 = readFileSync(fixturePath('generated', 'torch-bin-synthetic', 'zip64.bin'));
    const e = caught(() =>
      readZipEntries(patched(z64, (v, _cd, eocd) => v.setUint32(eocd - 12, 0x7fffff00, true))),
    );
    expect([e.code, e.message]).toEqual(['BAD_ZIP', expect.stringMatching(/ZIP64 end record offset/)]);
  });

  it('BAD_ZIP: a ZIP64 extra field pointing past the end', () => {
    const z64 = readFileSync(fixturePath('generated', 'torch-bin-synthetic', 'zip64.bin'));
    // the first central entry's ZIP64 extra: [id, len, usize, csize, local offset]; move the local offset far away
    const e = caught(() =>
      readZipEntries(
        patched(z64, (v, cd) => v.setUint32(cd + 46 + v.getUint16(cd + 28, true) + 20, 0x7fff0000, true)),
      ),
    );
    expect(e.code).toBe('BAD_ZIP');
  });

  it('skips CRC checks on request', () => {
    const zip = buildZip([['a/x', enc.encode('data')]], { badCrc: true });
    expect(readZipEntries(zip, { verifyCrc: false }).get('a/x')?.length).toBe(4);
  });

  it('UNSUPPORTED_ZIP: DEFLATE, other methods, encryption', () => {
    const deflated = caught(() => readZipEntries(buildZip([['a/x', enc.encode('d')]], { method: 8 })));
    expect([deflated.code, deflated.message]).toEqual([
      'UNSUPPORTED_ZIP',
      expect.stringMatching(/'a\/x' is DEFLATE-compressed/),
    ]);
    expect(caught(() => readZipEntries(buildZip([['a/x', enc.encode('d')]], { method: 12 }))).code).toBe(
      'UNSUPPORTED_ZIP',
    );
    const encrypted = patched(sample(), (v, cd) => v.setUint16(cd + 8, 1, true));
    expect(caught(() => readZipEntries(encrypted)).code).toBe('UNSUPPORTED_ZIP');
  });

  it('every truncation of a real PEFT .bin is a typed error', () => {
    for (let n = 0; n < peftBin.length; n++) {
      const e = caught(() => readTorchCheckpoint(peftBin.subarray(0, n)));
      expect(e.code, `truncated to ${n} bytes`).toBe('BAD_ZIP');
    }
  });
});
