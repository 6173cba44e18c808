/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The lowest and the highest of some numbers. */
export interface Span {
  readonly min: number;
  readonly max: number;
}

/** The span of the finite numbers among `values` (NaN for both when there is none). */
export function span(values: readonly number[]): Span {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0
    ? { min: NaN, max: NaN }
    : { min: Math.min(...finite), max: Math.max(...finite) };
}

/** A ratio with two decimals, or `n/a` where it has no meaning. */
export const formatRatio = (value: number): string =>
  Number.isFinite(value) ? value.toFixed(2) : 'n/a';

/** Prints an aligned table: the first column to the left, the others to the right. */
export function printTable(
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): void {
  const text = rows.map((row) =>
    row.map((cell) =>
      typeof cell === 'number'
        ? Math.round(cell).toLocaleString('en-US')
        : cell,
    ),
  );
  const widths = text[0].map((_, column) =>
    Math.max(...text.map((row) => row[column].length)),
  );
  for (const row of text) {
    process.stdout.write(
      `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}\n`,
    );
  }
}
