import { describe, expect, it } from 'vitest';
import { isOnnxError } from '../errors.js';
import { createGraph, createModel, createNode, createTensor, createValueInfo } from '../graph/builders.js';
import { DataType } from '../model/types.js';
import { parsePythonStrings, scopeMatch, torchScriptScope } from './scope-names.js';
import { WeightLocator } from './weight-locator.js';

describe('scope names', () => {
  it('turns TorchScript node names into module paths', () => {
    expect(torchScriptScope('/model/decoder/layers.0/self_attn/q_proj/MatMul')).toBe(
      'model.decoder.layers.0.self_attn.q_proj',
    );
    expect(torchScriptScope('/lm_head/MatMul_1')).toBe('lm_head');
    // pytorch/pytorch#90439: called Sequential containers repeat their prefix
    expect(torchScriptScope('/layer1/layer1.0/conv1/Conv')).toBe('layer1.0.conv1');
    expect(torchScriptScope('/MatMul')).toBe('');
    expect(torchScriptScope('node_MatMul_96')).toBeUndefined();
  });

  it("parses the dynamo exporter's Python list reprs", () => {
    expect(parsePythonStrings("['', 'encoder', 'encoder.embed_tokens', 'embedding']")).toEqual([
      '',
      'encoder',
      'encoder.embed_tokens',
      'embedding',
    ]);
    expect(parsePythonStrings(`["it's", 'a\\'b', 'x\\x41\\u00e9\\\\']`)).toEqual(["it's", "a'b", 'xAé\\']);
    expect(parsePythonStrings("{'model.fc.weight'}")).toEqual(['model.fc.weight']);
    expect(parsePythonStrings('model.fc.weight')).toBeUndefined();
    expect(parsePythonStrings("['unterminated")).toBeUndefined();
  });

  it('scores how a scope names a module', () => {
    expect(scopeMatch('model.decoder.layers.0.fc1', 'model.decoder.layers.0.fc1')).toBe(3);
    expect(scopeMatch('model.decoder.layers.0.fc1', 'decoder.layers.0.fc1')).toBe(2);
    expect(scopeMatch('decoder.layers.0.fc1', 'branch.decoder.layers.0.fc1')).toBe(1);
    expect(scopeMatch('model.decoder.layers.0.fc1', 'layers.0.fc')).toBe(0);
    expect(scopeMatch('model.fc1', '')).toBe(0);
  });

  it('is AMBIGUOUS_TARGET when equally good scopes read different weights', async () => {
    const graph = createGraph('two');
    graph.input.push(createValueInfo('x', DataType.FLOAT, [1, 2]));
    for (const [i, prefix] of ['a', 'b'].entries()) {
      graph.initializer.push(createTensor(`w${i}`, DataType.FLOAT, [2, 2], new Float32Array(4).fill(i)));
      graph.node.push(
        createNode({
          opType: 'MatMul',
          name: `/${prefix}/fc/MatMul`,
          inputs: ['x', `w${i}`],
          outputs: [`y${i}`],
        }),
      );
      graph.output.push(createValueInfo(`y${i}`, DataType.FLOAT, [1, 2]));
    }
    const error = await new WeightLocator(createModel({ graph })).locate('fc').catch((e: unknown) => e);
    expect(isOnnxError(error) && error.code).toBe('AMBIGUOUS_TARGET');
    expect((error as Error).message).toContain('"w0", "w1"');
    expect((await new WeightLocator(createModel({ graph })).locate('b.fc')).initializer).toBe('w1');
  });
});
