import type { Dtype } from './dtype.js';

/**
 * How a small float encodes special values:
 * - `ieee`: the top exponent is ±Inf (mantissa 0) or NaN (F16, F8_E5M2);
 * - `fn`: no Inf; only the all-ones exponent and mantissa is NaN (F8_E4M3, i.e. float8_e4m3fn);
 * - `fnuz`: no Inf and no -0; the sign bit alone (0x80) is NaN (F8_E4M3FNUZ, F8_E5M2FNUZ);
 * - `none`: every code is finite (the OCP MX F6/F4 types).
 */
type Specials = 'ieee' | 'fn' | 'fnuz' | 'none';

interface Format {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  specials: Specials;
}

/**
 * Bit layouts of the small float dtypes: OCP 8-bit FP (E4M3, E5M2), the FNUZ variants (bias + 1, NaN at
 * 0x80), OCP MX F6 E2M3 / E3M2 and F4 E2M1 (no Inf/NaN), IEEE binary16, as in ml_dtypes and PyTorch.
 */
const FORMATS: Partial<Record<Dtype, Format>> = {
  F16: { exponentBits: 5, mantissaBits: 10, bias: 15, specials: 'ieee' },
  F8_E5M2: { exponentBits: 5, mantissaBits: 2, bias: 15, specials: 'ieee' },
  F8_E4M3: { exponentBits: 4, mantissaBits: 3, bias: 7, specials: 'fn' },
  F8_E4M3FNUZ: { exponentBits: 4, mantissaBits: 3, bias: 8, specials: 'fnuz' },
  F8_E5M2FNUZ: { exponentBits: 5, mantissaBits: 2, bias: 16, specials: 'fnuz' },
  F6_E2M3: { exponentBits: 2, mantissaBits: 3, bias: 1, specials: 'none' },
  F6_E3M2: { exponentBits: 3, mantissaBits: 2, bias: 3, specials: 'none' },
  F4: { exponentBits: 2, mantissaBits: 1, bias: 1, specials: 'none' },
};

const QUIET_NAN = 0x7fc00000;
const tables = new Map<Dtype, Uint32Array>();

/**
 * Float32 bit patterns of every code of a small float dtype (F16, F8_*, F6_*, F4), indexed by code;
 * undefined for other dtypes. Built once per dtype, on first use. @internal
 */
export function minifloatTable(dtype: Dtype): Uint32Array | undefined {
  const cached = tables.get(dtype);
  if (cached !== undefined) return cached;
  const table = dtype === 'F8_E8M0' ? e8m0Table() : buildTable(dtype);
  if (table !== undefined) tables.set(dtype, table);
  return table;
}

function buildTable(dtype: Dtype): Uint32Array | undefined {
  const format = FORMATS[dtype];
  if (format === undefined) return undefined;
  const { exponentBits: e, mantissaBits: m, bias, specials } = format;
  const size = 1 << (1 + e + m);
  const bits = new Uint32Array(size);
  const values = new Float32Array(bits.buffer);
  const maxExponent = (1 << e) - 1;
  const maxMantissa = (1 << m) - 1;
  for (let code = 0; code < size; code++) {
    const negative = code >> (e + m) === 1;
    const exponent = (code >> m) & maxExponent;
    const mantissa = code & maxMantissa;
    const sign = negative ? 0x80000000 : 0;
    if (specials === 'ieee' && exponent === maxExponent) {
      // Inf, or NaN keeping its payload in the top mantissa bits, as a widening cast does.
      bits[code] = (sign | 0x7f800000 | (mantissa << (23 - m))) >>> 0;
    } else if (
      (specials === 'fn' && exponent === maxExponent && mantissa === maxMantissa) ||
      (specials === 'fnuz' && negative && exponent === 0 && mantissa === 0)
    ) {
      bits[code] = (sign | QUIET_NAN) >>> 0;
    } else {
      // Subnormals (exponent 0) have no implicit 1 and the exponent of code 1; all values are exact in f32.
      const significand = exponent === 0 ? mantissa : (1 << m) + mantissa;
      const magnitude = significand * 2 ** (Math.max(exponent, 1) - bias - m);
      values[code] = negative ? -magnitude : magnitude;
    }
  }
  return bits;
}

/** F8_E8M0 (float8_e8m0fnu): unsigned powers of two 2^(code - 127); 0xFF is NaN; no zero. */
function e8m0Table(): Uint32Array {
  const bits = new Uint32Array(256);
  const values = new Float32Array(bits.buffer);
  for (let code = 0; code < 255; code++) values[code] = 2 ** (code - 127);
  bits[255] = QUIET_NAN;
  return bits;
}
