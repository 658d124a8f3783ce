import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, maxAbsDiff } from '@peftjs/test-utils';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import { runLogits } from '../golden.test.helper.js';
import { encodeModel } from '../model/codec.js';
import { getExternalDataInfo } from '../model/external-data.js';
import { loadModel, saveModel } from './model-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'peftjs-onnx-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadModel / saveModel', () => {
  it('loads a model with its external data lazily or into memory', async () => {
    const path = fixturePath('golden', 'bases', 'opt', 'model.dynamo.onnx');
    const lazy = await loadModel(path);
    const memory = await loadModel(path, { externalData: 'memory' });
    expect(memory.files.map((f) => [f.path, f.data.length])).toEqual([['model.dynamo.onnx.data', 98560]]);
    expect(Buffer.compare(encodeModel(lazy.model), readFileSync(path))).toBe(0);
    const logits = await runLogits('opt', encodeModel(memory.model), memory.files);
    expect(logits.length).toBe(2 * 7 * 96);
    await lazy.close();
  });

  it('saves external data next to the model (temp files renamed) and onnxruntime loads it from the path', async () => {
    const source = fixturePath('golden', 'bases', 't5', 'model.dynamo.onnx');
    const loaded = await loadModel(source);
    const target = join(dir, 'out', '..', 'model.onnx');
    await saveModel(target, loaded.model, { source: loaded.source });
    await loaded.close();
    expect(readdirSync(dir).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    const saved = await loadModel(join(dir, 'model.onnx'));
    const info = saved.model.graph.initializer.map(getExternalDataInfo).filter((i) => i !== undefined);
    expect(info.every((i) => i.location === 'model.onnx.data' && i.offset % 4096 === 0)).toBe(true);
    await saved.close();
    // onnxruntime reads the external file itself, relative to the model's path
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    expect(session.outputNames).toContain('logits');
    await session.release();
    const want = await runLogits('t5', readFileSync(source), [
      { path: 'model.dynamo.onnx.data', data: readFileSync(`${source}.data`) },
    ]);
    const memory = await loadModel(join(dir, 'model.onnx'), { externalData: 'memory' });
    expect(maxAbsDiff(await runLogits('t5', encodeModel(memory.model), memory.files), want)).toBe(0);
  });

  it('saves inline when asked, and leaves nothing behind when a tensor cannot be read', async () => {
    const loaded = await loadModel(fixturePath('golden', 'bases', 'bert', 'model.dynamo.onnx'));
    await saveModel(join(dir, 'inline.onnx'), loaded.model, {
      source: loaded.source,
      externalData: 'inline',
      sync: false,
    });
    expect(readdirSync(dir)).toEqual(['inline.onnx']);
    writeFileSync(join(dir, 'keep.onnx'), 'old');
    const error = await saveModel(join(dir, 'keep.onnx'), loaded.model).catch((e: unknown) => e);
    expect(isOnnxError(error) && error.code).toBe('EXTERNAL_DATA_MISSING');
    expect(readdirSync(dir).sort()).toEqual(['inline.onnx', 'keep.onnx']);
    expect(readFileSync(join(dir, 'keep.onnx'), 'utf8')).toBe('old');
    await loaded.close();
  });

  it('reports a missing external file', async () => {
    const path = join(dir, 'model.onnx');
    writeFileSync(path, readFileSync(fixturePath('golden', 'bases', 'opt', 'model.dynamo.onnx')));
    const error = await loadModel(path, { externalData: 'memory' }).catch((e: unknown) => e);
    expect(isOnnxError(error) && error.code).toBe('EXTERNAL_DATA_MISSING');
    expect(existsSync(join(dir, 'model.dynamo.onnx.data'))).toBe(false);
  });
});
