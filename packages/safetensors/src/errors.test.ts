import { describe, expect, it } from 'vitest';
import { isSafetensorsError, SafetensorsError } from './errors.js';

describe('SafetensorsError', () => {
  it('carries name, code, message and cause', () => {
    const cause = new Error('root');
    const error = new SafetensorsError('IO_ERROR', 'reading failed', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SafetensorsError');
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toBe('reading failed');
    expect(error.cause).toBe(cause);
    expect('cause' in new SafetensorsError('OVERFLOW', 'x')).toBe(false);
  });

  it('isSafetensorsError recognizes instances and look-alikes from another realm, nothing else', () => {
    expect(isSafetensorsError(new SafetensorsError('OVERFLOW', 'x'))).toBe(true);
    const foreign = Object.assign(new Error('x'), { name: 'SafetensorsError', code: 'OVERFLOW' });
    expect(isSafetensorsError(foreign)).toBe(true);
    expect(isSafetensorsError(new Error('x'))).toBe(false);
    expect(isSafetensorsError({ name: 'SafetensorsError', code: 'OVERFLOW' })).toBe(false);
    expect(isSafetensorsError(undefined)).toBe(false);
  });
});
