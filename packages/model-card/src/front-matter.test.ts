import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isModelCardError, ModelCardError } from './errors.js';
import { parseModelCard, serializeModelCard } from './front-matter.js';
import { DEFAULT_FRAMEWORK, PACKAGE_VERSION } from './version.js';
import { YamlFloat, YamlTimestamp } from './yaml-value.js';

describe('parseModelCard', () => {
  it('reads YAML 1.1 types as yaml.safe_load does', () => {
    const text =
      '---\na: yes\nb: 0x10\nc: 1.0\nd: 1.5\ne: 123456789012345678901\nf: 2024-01-15\n' +
      'g: 2001-12-14t21:59:43.10-05:00\nh: ~\ni: [x, "y"]\nj: {k: v}\nk: 1e3\n---\nbody\n';
    const { metadata, body, lineBreak } = parseModelCard(text);
    expect(metadata).toEqual({
      a: true,
      b: 16,
      c: new YamlFloat(1),
      d: 1.5,
      e: 123456789012345678901n,
      f: new YamlTimestamp('2024-01-15'),
      g: new YamlTimestamp('2001-12-14 21:59:43.100000-05:00'),
      h: null,
      i: ['x', 'y'],
      j: { k: 'v' },
      k: '1e3',
    });
    expect(Object.keys(metadata)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
    expect(body).toBe('body\n');
    expect(lineBreak).toBe('\n');
  });

  it('takes a card without front matter as all body, and detects CRLF', () => {
    expect(parseModelCard('# Title\r\ntext\r\n')).toEqual({
      metadata: {},
      body: '# Title\r\ntext\r\n',
      lineBreak: '\r\n',
    });
    expect(parseModelCard('')).toEqual({ metadata: {}, body: '' });
  });

  it('keeps a `__proto__` key as data', () => {
    const { metadata } = parseModelCard('---\n__proto__: x\n---\n');
    expect(Object.keys(metadata)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
  });

  it('refuses front matter that is not a mapping, or that PyYAML refuses, with a stable code', () => {
    const code = (text: string) => {
      try {
        parseModelCard(text);
      } catch (error) {
        expect(isModelCardError(error)).toBe(true);
        return (error as ModelCardError).code;
      }
      return 'none';
    };
    expect(code('---\n- a\n---\n')).toBe('INVALID_METADATA');
    expect(code('---\n1: a\n---\n')).toBe('INVALID_YAML');
    expect(code('---\na: [b\n---\n')).toBe('INVALID_YAML');
    expect(code('---\na: &x 1\n---\n')).toBe('UNSUPPORTED_YAML');
    expect(code('---\n"7": a\n---\n')).toBe('UNSUPPORTED_YAML');
    expect(code('---\ntags: 3\n---\n')).toBe('INVALID_METADATA');
    expect(code('---\nmodel-index: [{results: []}]\n---\n')).toBe('INVALID_METADATA');
  });

  it('says where the YAML is wrong', () => {
    expect(() => parseModelCard('---\nlicense: mit\nbad: b: c\n---\n')).toThrow(
      /Invalid YAML front matter at line 2, column \d+: mapping values are not allowed here/,
    );
  });
});

describe('serializeModelCard', () => {
  it('writes what huggingface_hub writes: nulls dropped, tags unique, model-index last', () => {
    const text = serializeModelCard({
      metadata: {
        'model-index': [{ name: 'm', results: [] }],
        license: 'mit',
        datasets: null,
        tags: ['b', 'a', 'b'],
        empty: '',
        lr: new YamlFloat(2),
      },
      body: '\n# Card',
    });
    expect(text).toBe(
      "---\nlicense: mit\ntags:\n- b\n- a\nempty: ''\nlr: 2.0\nmodel-index:\n- name: m\n  results: []\n---\n\n# Card",
    );
  });

  it('uses the card line break for the front matter only', () => {
    const card = parseModelCard('---\r\nlicense: mit\r\n---\r\nbody\r\n');
    expect(card.lineBreak).toBe('\r\n');
    expect(serializeModelCard(card)).toBe('---\r\nlicense: mit\r\n---\r\nbody\r\n');
    expect(serializeModelCard({ ...card, lineBreak: '\r' })).toBe('---\rlicense: mit\r---\rbody\r\n');
    // huggingface_hub counts every line break of the file: mostly LF makes the front matter LF.
    expect(parseModelCard('---\r\nlicense: mit\r\n---\r\nbody\n').lineBreak).toBe('\n');
  });

  it('refuses values YAML cannot hold', () => {
    const bad = { metadata: { f: (() => 1) as unknown as string }, body: '' };
    expect(() => serializeModelCard(bad)).toThrow(ModelCardError);
  });
});

describe('version', () => {
  it('matches package.json, and the default framework line names peftjs', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(PACKAGE_VERSION).toBe(manifest.version);
    expect(DEFAULT_FRAMEWORK).toBe(`peftjs ${manifest.version}`);
  });
});
