import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import {
  bytesOf,
  dictPickle,
  f32Bytes,
  P,
  tensorPickle,
  torchArchive,
} from './archive-builder.test.helper.js';
import { readTorchCheckpoint } from './read-torch-checkpoint.js';
import { TorchLoadError } from './torch-error.js';
import { torchTensorToFloat32 } from './torch-tensor-to-float32.js';

interface Expected {
  files: Record<
    string,
    {
      byteorder: string;
      tensors: Record<string, { dtype: string; shape: number[]; data_hex: string; values: number[] }>;
    }
  >;
}

const dir = fixturePath('generated', 'torch-bin-synthetic');
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as Expected;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TorchLoadError) return e.code;
    throw e;
  }
  throw new Error('expected a TorchLoadError, nothing was thrown');
}

describe('synthetic torch.save archives (tooling/fixtures/make_fake_torch_bin.py)', () => {
  it('has the five generated checkpoints', () => {
    expect(Object.keys(expected.files).sort()).toEqual([
      'big-endian.bin',
      'nested.bin',
      'protocol4.bin',
      'state-dict.bin',
      'zip64.bin',
    ]);
  });

  for (const [file, spec] of Object.entries(expected.files)) {
    it(`${file}: every tensor's dtype, shape and bytes match, in order`, () => {
      const tensors = readTorchCheckpoint(readFileSync(`${dir}/${file}`));
      expect([...tensors.keys()]).toEqual(Object.keys(spec.tensors));
      for (const [name, want] of Object.entries(spec.tensors)) {
        const got = tensors.get(name);
        expect({ name, dtype: got?.dtype, shape: got?.shape }).toEqual({
          name,
          dtype: want.dtype,
          shape: want.shape,
        });
        expect(hex(got?.data ?? new Uint8Array()), name).toBe(want.data_hex);
        if (['F32', 'F16', 'BF16', 'F64'].includes(want.dtype) && got) {
          expect(Array.from(torchTensorToFloat32(got)), name).toEqual(want.values.map(Math.fround));
        }
      }
    });
  }

  it('copies shared storages: each tensor owns its bytes', () => {
    const tensors = readTorchCheckpoint(readFileSync(`${dir}/state-dict.bin`));
    const a = tensors.get('slice.head');
    const b = tensors.get('slice.tail');
    expect(a?.data.buffer).not.toBe(b?.data.buffer);
  });

  it('refuses integer tensors in the float32 helper', () => {
    const ids = readTorchCheckpoint(readFileSync(`${dir}/state-dict.bin`)).get('ids');
    expect(ids && codeOf(() => torchTensorToFloat32(ids))).toBe('UNSUPPORTED_DTYPE');
  });
});

describe('tensor geometry and storages', () => {
  const storage = { '0': f32Bytes([1, 2, 3, 4, 5, 6]) };
  const one = (size: number[], stride: number[], offset = 0, numel = 6, type = 'FloatStorage') =>
    torchArchive(dictPickle([['w', tensorPickle(type, '0', numel, offset, size, stride)]]), storage);

  it('gathers a transposed view', () => {
    const w = readTorchCheckpoint(one([3, 2], [1, 3])).get('w');
    expect(w && Array.from(torchTensorToFloat32(w))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('rejects a view that reaches past its storage, naming the tensor', () => {
    expect(codeOf(() => readTorchCheckpoint(one([2, 3], [3, 1], 1)))).toBe('BAD_TENSOR');
    expect(codeOf(() => readTorchCheckpoint(one([7], [1])))).toBe('BAD_TENSOR');
    expect(() => readTorchCheckpoint(one([3, 3], [3, 1]))).toThrow(
      /tensor 'w'.*storage '0', which has 6 elements/,
    );
  });

  it('rejects a storage record too small (or too large) for its declared numel', () => {
    expect(codeOf(() => readTorchCheckpoint(one([2], [1], 0, 7)))).toBe('BAD_STORAGE');
    expect(codeOf(() => readTorchCheckpoint(one([2], [1], 0, 5)))).toBe('BAD_STORAGE');
    expect(codeOf(() => readTorchCheckpoint(one([2], [1], 0, 6, 'DoubleStorage')))).toBe('BAD_STORAGE');
  });

  it('rejects a missing storage record', () => {
    const pkl = dictPickle([['w', tensorPickle('FloatStorage', '9', 6, 0, [6], [1])]]);
    expect(() => readTorchCheckpoint(torchArchive(pkl, storage))).toThrow(/storage '9', not in the archive/);
    expect(codeOf(() => readTorchCheckpoint(torchArchive(pkl, storage)))).toBe('MISSING_STORAGE');
  });

  it('rejects negative or mismatched size/stride', () => {
    expect(codeOf(() => readTorchCheckpoint(one([-1], [1])))).toBe('BAD_TENSOR');
    expect(codeOf(() => readTorchCheckpoint(one([2, 3], [1])))).toBe('BAD_TENSOR');
  });

  it('caps the bytes that stride-0 views can expand to', () => {
    const big = one([1_000_000, 1_000_000], [0, 0]);
    expect(codeOf(() => readTorchCheckpoint(big))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => readTorchCheckpoint(one([1000], [0]), { maxOutputBytes: 3999 }))).toBe(
      'LIMIT_EXCEEDED',
    );
    expect(readTorchCheckpoint(one([1000], [0]), { maxOutputBytes: 4000 }).get('w')?.data.length).toBe(4000);
  });

  it('swaps big-endian storages to little-endian', () => {
    const be = new Uint8Array([0x3f, 0x80, 0, 0, 0x40, 0, 0, 0]);
    const pkl = dictPickle([['w', tensorPickle('FloatStorage', '0', 2, 0, [2], [1])]]);
    const w = readTorchCheckpoint(torchArchive(pkl, { '0': be }, { byteorder: 'big' })).get('w');
    expect(w && Array.from(torchTensorToFloat32(w))).toEqual([1, 2]);
    expect(codeOf(() => readTorchCheckpoint(torchArchive(pkl, { '0': be }, { byteorder: 'middle' })))).toBe(
      'BAD_CHECKPOINT',
    );
  });

  it('names complex storages as unsupported dtypes', () => {
    const pkl = dictPickle([['w', tensorPickle('ComplexFloatStorage', '0', 1, 0, [1], [1])]]);
    expect(codeOf(() => readTorchCheckpoint(torchArchive(pkl, storage)))).toBe('UNSUPPORTED_DTYPE');
  });
});

describe('top-level object', () => {
  const w = tensorPickle('FloatStorage', '0', 1, 0, [1], [1]);
  const storages = { '0': f32Bytes([7]) };
  const read = (pkl: Uint8Array) => readTorchCheckpoint(torchArchive(pkl, storages));

  it('unwraps the single dict of tensors inside a training checkpoint', () => {
    const inner = bytesOf(P.emptyDict, P.str('w'), w, P.setitem);
    const epoch = bytesOf(P.str('epoch'), P.int(3), P.setitem);
    const pkl = bytesOf(P.proto(), P.emptyDict, P.str('model'), inner, P.setitem, epoch, P.stop);
    expect([...read(pkl).keys()]).toEqual(['w']);
    const two = bytesOf(
      P.proto(),
      P.emptyDict,
      P.str('a'),
      inner,
      P.setitem,
      P.str('b'),
      inner,
      P.setitem,
      P.stop,
    );
    expect(codeOf(() => read(two))).toBe('BAD_CHECKPOINT');
  });

  it('rejects a list, a tensor, or a dict of non-tensors with BAD_CHECKPOINT', () => {
    expect(codeOf(() => read(bytesOf(P.proto(), P.emptyList, w, P.append, P.stop)))).toBe('BAD_CHECKPOINT');
    expect(codeOf(() => read(bytesOf(P.proto(), w, P.stop)))).toBe('BAD_CHECKPOINT');
    expect(() => read(bytesOf(P.proto(), P.emptyDict, P.str('lr'), P.int(1), P.setitem, P.stop))).toThrow(
      /not a dict of tensors.*lr: number 1/,
    );
  });

  it('returns an empty map for an empty dict', () => {
    expect(read(bytesOf(P.proto(), P.emptyDict, P.stop)).size).toBe(0);
  });

  it('rejects non-ZIP input and archives without data.pkl', () => {
    expect(codeOf(() => readTorchCheckpoint(new Uint8Array([0x80, 2, 0x7d, 0x2e])))).toBe('BAD_ZIP');
    expect(codeOf(() => readTorchCheckpoint(new Uint8Array(0)))).toBe('BAD_ZIP');
  });
});
