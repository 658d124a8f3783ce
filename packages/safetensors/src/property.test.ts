import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ByteSource, blobSource, bytesSource } from './byte-source.js';
import { DTYPE_NAMES, DTYPES, type Dtype } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { openSafetensors } from './open-safetensors.js';
import { parseSafetensorsHeader } from './parse-header.js';
import { serializeSafetensors, type TensorInput } from './serialize-safetensors.js';
import { serializeSafetensorsStream } from './serialize-stream.js';
import { toFloat32 } from './to-float32.js';

const RUNS = 150;

/** Any Unicode text (astral, combining, control characters), never the reserved `__metadata__`. */
const name = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => s !== '__metadata__');

const tensor: fc.Arbitrary<TensorInput> = fc
  .record({
    dtype: fc.constantFrom(...DTYPE_NAMES),
    shape: fc.array(fc.nat({ max: 4 }), { maxLength: 4 }),
  })
  .chain(({ dtype, shape }) => {
    // Sub-byte dtypes must fill whole bytes: a trailing 4 makes any F4 / F6 count a multiple of 4.
    const dims = DTYPES[dtype].bits < 8 ? [...shape, 4] : shape;
    const bytes = (dims.reduce((a, b) => a * b, 1) * DTYPES[dtype].bits) / 8;
    return fc
      .uint8Array({ minLength: bytes, maxLength: bytes })
      .map((data): TensorInput => ({ dtype: dtype as Dtype, shape: dims, data }));
  });

const metadata = fc.option(
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary' })),
  {
    nil: undefined,
  },
);

const contents = fc.record({
  tensors: fc.uniqueArray(fc.tuple(name, tensor), { selector: ([n]) => n, maxLength: 8 }),
  metadata,
});

const validFile = contents.map(({ tensors, metadata }) => serializeSafetensors(tensors, metadata));

/** A source that fails the test if anyone asks for bytes outside the input (no allocation beyond it). */
function guarded(bytes: Uint8Array): ByteSource {
  const inner = bytesSource(bytes);
  return {
    size: bytes.length,
    read(offset, length) {
      expect(offset + length).toBeLessThanOrEqual(bytes.length);
      return inner.read(offset, length);
    },
  };
}

/** Parses `bytes` both ways; returns the error code, or 'ok'. Any non-SafetensorsError fails the test. */
async function outcome(bytes: Uint8Array): Promise<string> {
  let sync: string;
  try {
    const header = parseSafetensorsHeader(bytes);
    for (const t of header.tensors) {
      if (t.dtype !== 'C64')
        toFloat32({
          dtype: t.dtype,
          data: bytes.subarray(header.dataOffset + t.dataOffsets[0], header.dataOffset + t.dataOffsets[1]),
        });
    }
    sync = 'ok';
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    sync = error.code;
  }
  let viaSource: string;
  try {
    const file = await openSafetensors(guarded(bytes));
    for (const n of file.tensorNames()) await file.read(n);
    viaSource = 'ok';
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    viaSource = error.code;
  }
  expect(viaSource).toBe(sync);
  return sync;
}

describe('property: valid files round-trip', () => {
  it('serialize → parse → read gives back names, dtypes, shapes, bytes and metadata', async () => {
    await fc.assert(
      fc.asyncProperty(contents, async ({ tensors, metadata }) => {
        const bytes = serializeSafetensors(tensors, metadata);
        const header = parseSafetensorsHeader(bytes);
        expect(header.dataOffset % 8).toBe(0);
        expect(header.metadata).toEqual(metadata);
        const file = await openSafetensors(new Blob([bytes]));
        expect(file.tensorNames().sort()).toEqual(tensors.map(([n]) => n).sort());
        for (const [n, t] of tensors) {
          const read = await file.read(n);
          expect(read.dtype).toBe(t.dtype);
          expect(read.shape).toEqual(t.shape);
          expect(read.data).toEqual(t.data);
        }
        const streamed: Uint8Array[] = [];
        for await (const chunk of serializeSafetensorsStream(tensors, { metadata })) streamed.push(chunk);
        expect(Buffer.concat(streamed).equals(bytes)).toBe(true);
        // Re-serializing what was read gives the same bytes (the layout is canonical).
        const again = serializeSafetensors(
          await Promise.all(file.tensorNames().map(async (n) => [n, await file.read(n)] as const)),
          header.metadata,
        );
        expect(Buffer.compare(again, bytes)).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: damaged files fail cleanly', () => {
  it('every truncation is a SafetensorsError', async () => {
    await fc.assert(
      fc.asyncProperty(
        validFile.chain((bytes) => fc.tuple(fc.constant(bytes), fc.nat({ max: bytes.length - 1 }))),
        async ([bytes, cut]) => {
          expect(await outcome(bytes.subarray(0, cut))).not.toBe('ok');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random byte corruptions give a SafetensorsError or a still-valid file, never another exception', async () => {
    const corruption = validFile.chain((bytes) =>
      fc.tuple(
        fc.constant(bytes),
        fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
      ),
    );
    const seen = new Set<string>();
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(corruption, async ([bytes, edits]) => {
        const damaged = bytes.slice();
        for (const [at, value] of edits) damaged[at] = value;
        seen.add(await outcome(damaged));
      }),
      { numRuns: RUNS * 4 },
    );
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(seen.size).toBeGreaterThan(3);
  });

  it('a corrupted length prefix never makes the reader read or allocate past the input', async () => {
    await fc.assert(
      fc.asyncProperty(validFile, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), async (bytes, n) => {
        const damaged = bytes.slice();
        new DataView(damaged.buffer).setBigUint64(0, n, true);
        const code = await outcome(damaged);
        if (n !== new DataView(bytes.buffer).getBigUint64(0, true)) expect(code).not.toBe('ok');
      }),
      { numRuns: RUNS },
    );
  });

  it('header text mutations (JSON tokens spliced in) are SafetensorsErrors or valid', async () => {
    const tokens = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      '-1',
      '1e9',
      '0.5',
      'null',
      '"__metadata__"',
      '"dtype"',
      ' ',
      '\\ud800',
    ];
    await fc.assert(
      fc.asyncProperty(
        validFile,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...tokens)), { minLength: 1, maxLength: 4 }),
        async (bytes, splices) => {
          const n = new DataView(bytes.buffer).getUint32(0, true);
          let text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
          for (const [at, token] of splices) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + token + text.slice(i + token.length);
          }
          const json = new TextEncoder().encode(text);
          const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
          new DataView(out.buffer).setUint32(0, json.length, true);
          out.set(json, 8);
          out.set(bytes.subarray(8 + n), 8 + json.length);
          await outcome(out);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('Blob reading matches in-memory reading', () => {
  it('same tensors through blobSource and bytesSource', async () => {
    await fc.assert(
      fc.asyncProperty(validFile, async (bytes) => {
        const a = await openSafetensors(blobSource(new Blob([bytes])));
        const b = await openSafetensors(bytes);
        expect(a.header).toEqual(b.header);
        for (const n of a.tensorNames()) expect((await a.read(n)).data).toEqual((await b.read(n)).data);
      }),
      { numRuns: 50 },
    );
  });
});
