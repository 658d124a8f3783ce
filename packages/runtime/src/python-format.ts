/**
 * Python's `f"{n:,d}"`: an integer with `,` between groups of three digits.
 *
 * @param n - a safe integer
 * @returns e.g. `'1,234,567'`
 * @example
 * ```ts
 * formatThousands(23360); // '23,360'
 * ```
 */
export function formatThousands(n: number): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(Math.trunc(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Python's `f"{x:.4f}"` for a finite double: the exact binary value rounded to 4 decimals, ties to even. (JS
 * `toFixed(4)` rounds exact ties away from zero: `0.03125` is `'0.0313'` there and `'0.0312'` in Python.)
 *
 * @param x - a finite number
 * @returns e.g. `'4.3836'`
 * @example
 * ```ts
 * formatFixed4(0.03125); // '0.0312'
 * ```
 */
export function formatFixed4(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  // A tie at the 4th decimal is a = (2k + 1) / 20000, a dyadic rational only when a = j / 32 with j odd.
  const j = a * 32;
  if (Number.isInteger(j) && j % 2 === 1 && Number.isSafeInteger(j * 625)) {
    const low = (j * 625 - 1) / 2; // a · 10⁴ = low + ½
    const n = low % 2 === 0 ? low : low + 1;
    return (negative ? '-' : '') + fixedFromInteger(n);
  }
  return (negative ? '-' : '') + a.toFixed(4);
}

function fixedFromInteger(n: number): string {
  const s = String(n).padStart(5, '0');
  return `${s.slice(0, -4)}.${s.slice(-4)}`;
}
