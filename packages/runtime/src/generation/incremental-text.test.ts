import { describe, expect, it } from 'vitest';
import { IncrementalText } from './incremental-text.js';

// A byte-level "tokenizer": each id is one UTF-8 byte; decoding replaces incomplete characters with U+FFFD.
const decoder = new TextDecoder();
const decode = (ids: readonly number[]) => decoder.decode(Uint8Array.from(ids));
const bytes = (text: string) => Array.from(new TextEncoder().encode(text));

function feed(text: IncrementalText, ids: readonly number[]): { pieces: string[]; stoppedAt: number } {
  const pieces: string[] = [];
  let stoppedAt = -1;
  ids.forEach((id, i) => {
    const delta = text.push([id]);
    pieces.push(delta.text);
    if (delta.stopped && stoppedAt < 0) stoppedAt = i;
  });
  return { pieces, stoppedAt };
}

describe('IncrementalText', () => {
  it('never shows half a character: a split UTF-8 sequence waits for its last byte', () => {
    const text = new IncrementalText(decode, []);
    const { pieces } = feed(text, bytes('a蓝b'));
    expect(pieces).toEqual(['a', '', '', '蓝', 'b']);
    expect(pieces.join('') + text.flush()).toBe('a蓝b');
  });

  it('flushes what is held back when the sequence ends (an incomplete character stays as U+FFFD)', () => {
    const text = new IncrementalText(decode, []);
    feed(text, bytes('ok蓝').slice(0, 3));
    expect(text.flush()).toBe('\uFFFD');
  });

  it('stops at a stop string spread over tokens, never showing it or what follows', () => {
    const text = new IncrementalText(decode, ['\nUser:', 'END']);
    const { pieces, stoppedAt } = feed(text, bytes('Hi there\nUser: more'));
    const shown = pieces.join('') + text.flush();
    expect(shown).toBe('Hi there');
    expect(stoppedAt).toBe('Hi there\nUser:'.length - 1);
    expect(text.text).toBe('Hi there');
  });

  it('holds back the last (longest stop string − 1) characters until they cannot start one', () => {
    const text = new IncrementalText(decode, ['xyz']);
    const { pieces } = feed(text, bytes('abxyq'));
    expect(pieces).toEqual(['', '', 'a', 'b', 'x']);
    expect(text.flush()).toBe('yq');
  });

  it('picks the earliest of several stop strings', () => {
    const text = new IncrementalText(decode, ['cd', 'b']);
    const { pieces } = feed(text, bytes('abcd'));
    expect(pieces.join('') + text.flush()).toBe('a');
  });
});
