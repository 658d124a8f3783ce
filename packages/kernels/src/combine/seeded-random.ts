import { KernelError } from '../errors.js';

/** A source of uniform numbers in [0, 1), as {@link createSeededRandom} returns. */
export type RandomSource = () => number;

/** 2^-32, to turn a 32-bit integer into a number in [0, 1). */
const INV_2_POW_32 = 1 / 4294967296;

/** One splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32) of numbers in [0, 1).
 *
 * PEFT's DARE pruning draws from torch's global RNG, which cannot be reproduced outside torch; peftjs uses this
 * generator instead, so a given seed always gives the same masks on every platform.
 *
 * @param seed - any safe integer (negative and large values are folded into 32 bits)
 * @returns a function that returns the next number in [0, 1)
 * @throws {KernelError} `INVALID_ARGUMENT` when `seed` is not a safe integer
 * @example
 * ```ts
 * const random = createSeededRandom(42);
 * const keep = random() < 0.5;
 * ```
 */
export function createSeededRandom(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed)) {
    throw new KernelError('INVALID_ARGUMENT', `seed must be a safe integer; got ${String(seed)}`, {
      value: seed,
    });
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  let s0 = splitmix32(low);
  let s1 = splitmix32(s0 ^ high);
  let s2 = splitmix32(s1);
  let s3 = splitmix32(s2 ^ 0x6a09e667);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result * INV_2_POW_32;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A per-layer seed derived from a run seed and a key (e.g. the module name), so that layers of one combination get
 * different, reproducible DARE masks.
 *
 * @param seed - the run's seed (a safe integer)
 * @param key - what tells the layers apart, e.g. `model.layers.0.self_attn.q_proj`
 * @returns a 32-bit unsigned seed
 * @example
 * ```ts
 * combineLoraLayer({ ...options, seed: deriveSeed(7, moduleName) });
 * ```
 */
export function deriveSeed(seed: number, key: string): number {
  if (!Number.isSafeInteger(seed)) {
    throw new KernelError('INVALID_ARGUMENT', `seed must be a safe integer; got ${String(seed)}`, {
      value: seed,
    });
  }
  // FNV-1a over the UTF-16 code units, then mixed with the seed.
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  }
  return splitmix32(hash ^ splitmix32(seed >>> 0) ^ Math.floor(seed / 4294967296));
}
