import { readFileSync } from 'node:fs';
import { fixturePath, maxAbsDiff } from '@peftjs/test-utils';
import { describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import { loadBase, runLogits } from '../golden.test.helper.js';
import { unknownFields } from '../proto/message.js';
import { ProtoWriter } from '../proto/writer.js';
import { decodeModel, encodeModel, MAX_PROTO_BYTES } from './codec.js';
import {
  type ExternalDataSource,
  externalDataFromFiles,
  getExternalDataInfo,
  isExternalTensor,
} from './external-data.js';
import { TYPED_DATA_FIELDS } from './schemas.js';
import { readTensorData, readTensorFloat32, setTensorData } from './tensor-data.js';
import { DataType, type ModelProto, type TensorProto } from './types.js';
import { planExternalData, writeModel } from './write-model.js';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return isOnnxError(e) ? e.code : e;
  }
  return 'no error';
}

function tensor(name: string, fields: Partial<TensorProto>): TensorProto {
  return { name, dims: [2], dataType: DataType.FLOAT, externalData: [], metadataProps: [], ...fields };
}

describe('reading external data', () => {
  it('reads dynamo tensors from their .data file at the recorded offsets', async () => {
    const { model, files, source } = loadBase('opt', 'model.dynamo.onnx');
    const file = (files[0] as { data: Uint8Array }).data;
    const fc1 = model.graph.initializer.find(
      (t) => t.name === 'model.decoder.layers.0.fc1.weight',
    ) as TensorProto;
    expect(getExternalDataInfo(fc1)).toEqual({
      location: 'model.dynamo.onnx.data',
      offset: 32768,
      length: 8192,
    });
    const bytes = await readTensorData(fc1, source);
    expect(Buffer.compare(bytes, file.subarray(32768, 32768 + 8192))).toBe(0);
    expect(await codeOf(readTensorData(fc1))).toBe('EXTERNAL_DATA_MISSING');
    expect(await codeOf(readTensorData(fc1, externalDataFromFiles([])))).toBe('EXTERNAL_DATA_MISSING');
    const short = externalDataFromFiles({ 'model.dynamo.onnx.data': file.subarray(0, 40000) });
    expect(await codeOf(readTensorData(fc1, short))).toBe('EXTERNAL_DATA_OUT_OF_RANGE');
  });

  it('rejects unsafe locations and non-integer offsets', async () => {
    for (const [location, offset] of [
      ['../secret', '0'],
      ['/etc/passwd', '0'],
      ['C:\\w.bin', '0'],
      ['a/../../b', '0'],
      ['w.bin', '-1'],
      ['w.bin', '1e3'],
    ]) {
      const t = tensor('t', {
        dataLocation: 1,
        externalData: [
          { key: 'location', value: location as string },
          { key: 'offset', value: offset as string },
        ],
      });
      expect(await codeOf(() => getExternalDataInfo(t))).toBe('INVALID_EXTERNAL_DATA');
    }
  });

  it('handles offsets past 4 GiB (numbers, not 32-bit integers)', async () => {
    const offset = 5 * 2 ** 30 + 4096;
    const t = tensor('big', {
      dataLocation: 1,
      externalData: [
        { key: 'location', value: 'weights.bin' },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: '8' },
      ],
    });
    const reads: [string, number, number][] = [];
    const source: ExternalDataSource = {
      read: (location, at, length) => {
        reads.push([location, at, length]);
        return Promise.resolve(new Uint8Array(new Float32Array([1.5, -2]).buffer));
      },
    };
    expect(await readTensorFloat32(t, source)).toEqual(new Float32Array([1.5, -2]));
    expect(reads).toEqual([['weights.bin', offset, 8]]);
  });

  it('reads the typed data arrays (float_data, int64_data, int32_data) and drops them when data is replaced', async () => {
    const w = new ProtoWriter();
    const tensorBytes = (build: (t: ProtoWriter) => void) => {
      const t = new ProtoWriter();
      build(t);
      return t.finish();
    };
    const floats = tensorBytes((t) => {
      t.tag(1, 0);
      t.varint(3);
      t.tag(2, 0);
      t.varint(DataType.FLOAT);
      t.nested(4, (p) => {
        for (const v of [1, 2.5, -3]) p.float32(v);
      });
      t.string(8, 'f');
    });
    const int64s = tensorBytes((t) => {
      t.tag(1, 0);
      t.varint(2);
      t.tag(2, 0);
      t.varint(DataType.INT64);
      t.nested(7, (p) => {
        p.varintBig(-5n);
        p.varint(7);
      });
      t.string(8, 'i');
    });
    const halves = tensorBytes((t) => {
      t.tag(1, 0);
      t.varint(2);
      t.tag(2, 0);
      t.varint(DataType.FLOAT16);
      t.nested(5, (p) => {
        p.varint(0x3c00); // 1.0
        p.varint(0xc000); // -2.0
      });
      t.string(8, 'h');
    });
    w.nested(7, (g) => {
      for (const t of [floats, int64s, halves]) g.nested(5, (x) => x.raw(t));
    });
    const model = decodeModel(w.finish());
    const [f, i, h] = model.graph.initializer as [TensorProto, TensorProto, TensorProto];
    expect(await readTensorFloat32(f)).toEqual(new Float32Array([1, 2.5, -3]));
    expect(new BigInt64Array((await readTensorData(i)).slice().buffer)).toEqual(new BigInt64Array([-5n, 7n]));
    expect(await readTensorFloat32(h)).toEqual(new Float32Array([1, -2]));
    setTensorData(f, new Uint8Array(new Float32Array([4, 5, 6]).buffer));
    const again = decodeModel(encodeModel(model)).graph.initializer[0] as TensorProto;
    expect(await readTensorFloat32(again)).toEqual(new Float32Array([4, 5, 6]));
    expect(unknownFields(again, TYPED_DATA_FIELDS)).toEqual([]);
    expect(
      unknownFields(decodeModel(w.finish()).graph.initializer[0] as TensorProto, TYPED_DATA_FIELDS),
    ).toHaveLength(1);
    expect(await codeOf(() => setTensorData(f, new Uint8Array(4)))).toBe('TENSOR_SIZE_MISMATCH');
  });
});

describe('writing models', () => {
  it('moves large initializers to one page-aligned file and keeps small ones inline; onnxruntime runs both layouts', async () => {
    const { model, bytes, files, source } = loadBase('t5', 'model.dynamo.onnx');
    const base = await runLogits('t5', bytes, files);
    const external = await writeModel(model, { externalData: { location: 'w.data' }, source });
    const out = decodeModel(external.model);
    const file = (external.externalData[0] as { path: string; data: Uint8Array }).data;
    let externals = 0;
    for (const t of out.graph.initializer) {
      const info = getExternalDataInfo(t);
      const size = (await readTensorData(t, externalDataFromFiles(external.externalData))).length;
      if (!info) {
        expect(size).toBeLessThan(1024);
        continue;
      }
      externals++;
      expect(info.location).toBe('w.data');
      expect(info.offset % 4096).toBe(0);
      expect(size).toBeGreaterThanOrEqual(1024);
      const original = model.graph.initializer.find((x) => x.name === t.name) as TensorProto;
      expect(
        Buffer.compare(
          file.subarray(info.offset, info.offset + size),
          await readTensorData(original, source),
        ),
      ).toBe(0);
    }
    expect(externals).toBeGreaterThan(30);
    expect(maxAbsDiff(await runLogits('t5', external.model, external.externalData), base)).toBe(0);
    const inline = await writeModel(model, { externalData: 'inline', source });
    expect(inline.externalData).toEqual([]);
    expect(decodeModel(inline.model).graph.initializer.some(isExternalTensor)).toBe(false);
    expect(maxAbsDiff(await runLogits('t5', inline.model), base)).toBe(0);
    // the caller's model is not changed by writing
    expect(Buffer.compare(encodeModel(model), bytes)).toBe(0);
  });

  it('keeps the graph small for weights over 2 GiB, and refuses to inline them', () => {
    // 2100 initializers of 1 MiB that all view the same buffer: 2.05 GiB of weights without allocating them
    const mib = new Uint8Array(2 ** 20);
    const { model } = loadBase('opt', 'model.onnx');
    const big: ModelProto = {
      ...model,
      graph: { ...model.graph, initializer: [...model.graph.initializer] },
    };
    for (let i = 0; i < 2100; i++)
      big.graph.initializer.push(tensor(`w${i}`, { dims: [2 ** 18], rawData: mib }));
    expect(() => encodeModel(big)).toThrow(expect.objectContaining({ code: 'MODEL_TOO_LARGE' }));
    const plan = planExternalData(big, { location: 'weights.bin', align: 65536 });
    expect(plan.fileLength).toBeGreaterThan(MAX_PROTO_BYTES);
    const last = plan.entries[plan.entries.length - 1];
    expect(last?.offset).toBeGreaterThan(2 ** 31);
    expect((last?.offset ?? 1) % 65536).toBe(0);
    const proto = plan.encode(new Map());
    expect(proto.length).toBeLessThan(2 ** 20);
    const w2099 = decodeModel(proto).graph.initializer.find((t) => t.name === 'w2099') as TensorProto;
    expect(getExternalDataInfo(w2099)).toEqual({
      location: 'weights.bin',
      offset: last?.offset,
      length: 2 ** 20,
    });
  });

  it('reads back an in-memory map under the location, also written as ./location', async () => {
    const data = readFileSync(fixturePath('golden', 'bases', 'bert', 'model.dynamo.onnx.data'));
    const { model } = loadBase('bert', 'model.dynamo.onnx');
    const source = externalDataFromFiles(new Map([['./model.dynamo.onnx.data', new Uint8Array(data)]]));
    const t = model.graph.initializer.find((x) => x.name === 'classifier.weight') as TensorProto;
    expect((await readTensorFloat32(t, source)).length).toBe(96);
  });
});
