import { readFileSync } from 'node:fs';
import { fixturePath } from '@peftjs/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import { ProtoWriter } from '../proto/writer.js';
import { decodeModel, encodeModel, encodeModelChunks } from './codec.js';
import type { ModelProto } from './types.js';

const ARCHS = ['opt', 'gpt2', 'bert', 't5'] as const;
const FILES = ['model.onnx', 'model.dynamo.onnx'] as const;

function golden(arch: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath('golden', 'bases', arch, file)));
}

/** A plain-object copy of the model: no wire bytes kept, so every field is encoded afresh. */
function fresh(model: ModelProto): ModelProto {
  return structuredClone(model);
}

describe('golden round trip', () => {
  for (const arch of ARCHS) {
    for (const file of FILES) {
      it(`${arch}/${file}: decode → encode gives identical bytes, also as chunks`, () => {
        const bytes = golden(arch, file);
        const model = decodeModel(bytes);
        expect(model.graph.node.length).toBeGreaterThan(0);
        expect(model.irVersion).toBe(file === 'model.onnx' ? 8 : 10);
        expect(Buffer.compare(encodeModel(model), bytes)).toBe(0);
        expect(Buffer.compare(Buffer.concat(encodeModelChunks(model)), bytes)).toBe(0);
      });

      it(`${arch}/${file}: a fresh encoding of every field decodes to the same model`, () => {
        const bytes = golden(arch, file);
        const model = decodeModel(bytes);
        const out = encodeModel(fresh(model));
        expect(fresh(decodeModel(out))).toEqual(fresh(model));
        // the dynamo exports are written by onnx's serializer in canonical order: our encoder gives the same
        // bytes; TorchScript omits the default opset domain that we (like onnx.helper) write
        if (file === 'model.dynamo.onnx') expect(Buffer.compare(out, bytes)).toBe(0);
        else expect(out.length).toBe(bytes.length + 2);
      });
    }
  }

  it('keeps tensor payloads as views of the input', () => {
    const bytes = golden('opt', 'model.onnx');
    const raw = decodeModel(bytes).graph.initializer[0]?.rawData as Uint8Array;
    expect(raw.buffer).toBe(bytes.buffer);
  });
});

/** A model around one node, written field by field. */
function modelAround(node: ProtoWriter): Uint8Array {
  const nodeBytes = node.finish();
  const model = new ProtoWriter();
  model.tag(1, 0);
  model.varint(10);
  model.nested(7, (g) => {
    g.nested(1, (w) => w.raw(nodeBytes));
    g.string(2, 'g');
  });
  return model.finish();
}

/** A NodeProto with doc_string (field 6, not decoded) and an unknown field 99 among its known fields. */
function nodeWithUnknownFields(name = 'relu0', extraInput?: string): Uint8Array {
  const node = new ProtoWriter();
  node.string(1, 'x');
  if (extraInput) node.string(1, extraInput);
  node.string(2, 'y');
  node.string(3, name);
  node.string(4, 'Relu');
  node.string(6, 'a doc string');
  node.tag(99, 0);
  node.varint(12345);
  node.string(7, '');
  return modelAround(node);
}

describe('changes and unknown fields', () => {
  it('re-encodes only what changed, keeping unknown fields in place', () => {
    const model = decodeModel(nodeWithUnknownFields());
    const node = model.graph.node[0];
    expect(node).toMatchObject({ input: ['x'], output: ['y'], name: 'relu0', opType: 'Relu', domain: '' });
    if (!node) throw new Error('no node');
    node.name = 'renamed';
    node.input.push('extra');
    const again = decodeModel(encodeModel(model)).graph.node[0];
    expect(again).toMatchObject({ input: ['x', 'extra'], name: 'renamed' });
    const expected = nodeWithUnknownFields('renamed', 'extra');
    expect(Buffer.from(encodeModel(model)).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });

  it('inserts new fields in field-number order', () => {
    const model = decodeModel(nodeWithUnknownFields());
    const node = model.graph.node[0];
    if (!node) throw new Error('no node');
    node.metadataProps.push({ key: 'k', value: 'v' });
    node.domain = 'com.example';
    const out = decodeModel(encodeModel(model)).graph.node[0];
    expect(out).toMatchObject({ domain: 'com.example', metadataProps: [{ key: 'k', value: 'v' }] });
  });

  it('reads int64 attributes exactly as bigint and negative dims through 10-byte varints', () => {
    const model = decodeModel(nodeWithUnknownFields());
    const node = model.graph.node[0];
    if (!node) throw new Error('no node');
    const big = 9223372036854775807n;
    node.attribute.push({
      name: 'ends',
      type: 7,
      ints: [big, -1n],
      floats: [],
      strings: [],
      tensors: [],
      graphs: [],
    });
    model.graph.initializer.push({
      name: 't',
      dims: [-1, 3],
      dataType: 1,
      externalData: [],
      metadataProps: [],
    });
    const out = decodeModel(encodeModel(model));
    expect(out.graph.node[0]?.attribute[0]?.ints).toEqual([big, -1n]);
    expect(out.graph.initializer[0]?.dims).toEqual([-1, 3]);
  });

  it('keeps unknown groups (wire types 3/4) byte for byte', () => {
    const w = new ProtoWriter();
    w.tag(1, 0);
    w.varint(9);
    w.tag(40, 3); // start group 40
    w.string(1, 'inside');
    w.tag(2, 0);
    w.varint(300);
    w.tag(40, 4); // end group 40
    w.nested(7, (g) => g.string(2, 'graph'));
    const bytes = w.finish();
    const model = decodeModel(bytes);
    expect(Buffer.compare(encodeModel(model), bytes)).toBe(0);
    model.irVersion = 11;
    const out = encodeModel(model);
    expect(out[1]).toBe(11);
    expect(Buffer.compare(out.subarray(2), bytes.subarray(2))).toBe(0);
  });

  it('rejects malformed bytes with INVALID_PROTOBUF', () => {
    const bytes = golden('opt', 'model.onnx');
    for (const bad of [
      bytes.subarray(0, 1000),
      new Uint8Array([0x0f]),
      new Uint8Array([0x08, 0xff]),
      new Uint8Array([0x0b]),
    ]) {
      const error = (() => {
        try {
          decodeModel(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(isOnnxError(error) && error.code).toBe('INVALID_PROTOBUF');
    }
  });
});

describe('property: any mix of known and unknown fields survives a round trip', () => {
  const unknownField = fc.record({
    no: fc.integer({ min: 17, max: 5000 }),
    kind: fc.constantFrom(0, 1, 2, 5),
    n: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 20 }),
  });
  const knownField = fc.oneof(
    fc.record({ no: fc.constant(1), s: fc.string() }),
    fc.record({ no: fc.constant(2), s: fc.string() }),
    fc.record({ no: fc.constant(3), s: fc.string() }),
    fc.record({ no: fc.constant(4), s: fc.string() }),
    fc.record({ no: fc.constant(7), s: fc.string() }),
  );

  it('holds for NodeProto fields in any order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(unknownField, knownField), { maxLength: 12 }),
        fc.string(),
        (fields, rename) => {
          const node = new ProtoWriter();
          for (const f of fields) {
            if ('s' in f) node.string(f.no, f.s);
            else if (f.kind === 0) {
              node.tag(f.no, 0);
              node.varint(f.n);
            } else if (f.kind === 1) {
              node.tag(f.no, 1);
              node.float64(f.n);
            } else if (f.kind === 5) {
              node.tag(f.no, 5);
              node.float32(f.n);
            } else node.lengthDelimited(f.no, f.bytes);
          }
          const model = new ProtoWriter();
          model.nested(7, (g) => g.nested(1, (w) => w.raw(node.finish())));
          const bytes = model.finish();
          const decoded = decodeModel(bytes);
          expect(Buffer.compare(encodeModel(decoded), bytes)).toBe(0);
          const target = decoded.graph.node[0];
          if (!target) throw new Error('no node');
          target.name = rename;
          const again = decodeModel(encodeModel(decoded));
          expect(again.graph.node[0]?.name).toBe(rename);
          expect(again.graph.node[0]?.input).toEqual(target.input);
          expect(again.graph.node[0]?.opType).toBe(target.opType);
        },
      ),
      { numRuns: 300 },
    );
  });
});
