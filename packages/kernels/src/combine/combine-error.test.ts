import { describe, expect, it } from 'vitest';
import { isKernelError, KernelError } from '../errors.js';
import * as api from '../index.js';
import { CombineError, isCombineError } from './combine-error.js';
import { prune } from './prune.js';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('CombineError aliases', () => {
  it('are the package’s one error class and guard, also from the barrel', () => {
    expect(CombineError).toBe(KernelError);
    expect(isCombineError).toBe(isKernelError);
    expect(api.CombineError).toBe(api.KernelError);
    expect(api.isCombineError).toBe(api.isKernelError);
  });

  it('a combine kernel throws a KernelError with code, offending value and message', () => {
    const e = caught(() => prune(Float32Array.of(1, 2), -0.5, 'magnitude'));
    expect(e).toBeInstanceOf(KernelError);
    expect(e).toBeInstanceOf(CombineError);
    expect(e).toMatchObject({ name: 'KernelError', code: 'INVALID_DENSITY', value: -0.5 });
    expect((e as Error).message).toContain('-0.5');
  });

  it('the guard accepts a KernelError from another realm by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'KernelError', code: 'NO_ADAPTERS' });
    expect(isCombineError(foreign)).toBe(true);
    expect(isCombineError(Object.assign(new Error('x'), { name: 'CombineError', code: 'NO_ADAPTERS' }))).toBe(
      false,
    );
    expect(new KernelError('SHAPE_MISMATCH', 'm').value).toBeUndefined();
  });
});
