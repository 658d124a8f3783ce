import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { torchArchive } from './archive-builder.test.helper.js';
import { type ReadTorchCheckpointOptions, readTorchCheckpoint } from './read-torch-checkpoint.js';
import { dtypeByteSize } from './torch-dtypes.js';
import { TorchLoadError } from './torch-error.js';
import { readZipEntries } from './zip-reader.js';

const peftBin = new Uint8Array(readFileSync(fixturePath('generated', 'bin', 'opt-ia3', 'adapter_model.bin')));
const synthetic = new Uint8Array(
  readFileSync(fixturePath('generated', 'torch-bin-synthetic', 'state-dict.bin')),
);

/** Reads `bytes`; passes if it returns well-formed tensors or throws a TorchLoadError, fails on anything else. */
function readsOrRejects(bytes: Uint8Array, options: ReadTorchCheckpointOptions = {}): boolean {
  let tensors: ReturnType<typeof readTorchCheckpoint>;
  try {
    tensors = readTorchCheckpoint(bytes, { maxOutputBytes: 1 << 24, ...options });
  } catch (e) {
    if (e instanceof TorchLoadError) return true;
    throw e;
  }
  for (const [name, t] of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    expect(t.data.length, name).toBe(numel * dtypeByteSize(t.dtype));
  }
  return true;
}

const mutations = (length: number) =>
  fc.array(fc.tuple(fc.nat({ max: length - 1 }), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 8,
  });

function mutate(source: Uint8Array, edits: readonly (readonly [number, number])[]): Uint8Array {
  const copy = source.slice();
  for (const [at, value] of edits) copy[at] = value;
  return copy;
}

/** The pickle and storages of an archive, so that the pickle alone can be corrupted and re-zipped. */
function split(bytes: Uint8Array): { pickle: Uint8Array; storages: Record<string, Uint8Array> } {
  const entries = readZipEntries(bytes);
  const storages: Record<string, Uint8Array> = {};
  let pickle: Uint8Array = new Uint8Array();
  for (const [name, data] of entries) {
    const match = /\/data\/(.+)$/.exec(name);
    if (match?.[1] !== undefined) storages[match[1]] = data;
    if (name.endsWith('/data.pkl')) pickle = data;
  }
  return { pickle, storages };
}

describe('fuzz: corrupted checkpoints give a typed error or a valid result, never another exception', () => {
  for (const [label, source] of [
    ['PEFT opt-ia3', peftBin],
    ['synthetic state dict', synthetic],
  ] as const) {
    it(`${label}: random byte edits anywhere (CRC checked)`, () => {
      fc.assert(
        fc.property(mutations(source.length), (edits) => readsOrRejects(mutate(source, edits))),
        {
          numRuns: 400,
        },
      );
    });

    it(`${label}: random byte edits anywhere (CRC not checked, so corrupted pickles reach the unpickler)`, () => {
      fc.assert(
        fc.property(mutations(source.length), (edits) =>
          readsOrRejects(mutate(source, edits), { verifyCrc: false }),
        ),
        { numRuns: 400 },
      );
    });

    it(`${label}: random edits of the pickle only, re-zipped`, () => {
      const { pickle, storages } = split(source);
      fc.assert(
        fc.property(mutations(pickle.length), (edits) =>
          readsOrRejects(torchArchive(mutate(pickle, edits), storages)),
        ),
        { numRuns: 600 },
      );
    });

    it(`${label}: random truncation and splices of the pickle, re-zipped`, () => {
      const { pickle, storages } = split(source);
      const cut = fc.tuple(
        fc.nat({ max: pickle.length }),
        fc.nat({ max: pickle.length }),
        fc.uint8Array({ maxLength: 16 }),
      );
      fc.assert(
        fc.property(cut, ([from, to, insert]) => {
          const [a, b] = from <= to ? [from, to] : [to, from];
          const spliced = new Uint8Array([...pickle.subarray(0, a), ...insert, ...pickle.subarray(b)]);
          return readsOrRejects(torchArchive(spliced, storages));
        }),
        { numRuns: 400 },
      );
    });
  }

  it('random bytes are rejected as BAD_ZIP', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(() => readTorchCheckpoint(bytes)).toThrow(TorchLoadError);
      }),
    );
  });
});
