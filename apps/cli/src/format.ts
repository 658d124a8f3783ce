/** Formatting for people: tables, byte sizes, numbers, progress. */

/** Renders rows as an aligned text table with a header line and a rule under it. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `1536` → `1.5 KiB`. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** `1234567` → `1,234,567`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A number the way a person reads it: integers as is, others with up to 6 significant digits. */
export function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

/** Progress reporter writing one updating line to a TTY stream (or nothing when it is not a TTY). */
export function progress(
  stream: { write(text: string): unknown; isTTY?: boolean },
  label: string,
): { update(done: number, total: number, detail?: string): void; end(): void } {
  let last = 0;
  let shown = false;
  return {
    update(done, total, detail = '') {
      if (!stream.isTTY) return;
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      const width = 24;
      const fill = Math.round((width * pct) / 100);
      const bar = `${'#'.repeat(fill)}${'.'.repeat(width - fill)}`;
      stream.write(`\r${label} [${bar}] ${String(pct).padStart(3)}% ${detail}`.slice(0, 120).padEnd(120));
      shown = true;
    },
    end() {
      if (shown) stream.write('\n');
    },
  };
}
