/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A ratio, rounded for reading. */
export const ratio = (numerator: number, denominator: number): number =>
  Math.round((numerator / denominator) * 100) / 100;

/** Prints an aligned table. */
export function printTable(
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): void {
  const text = rows.map((row) =>
    row.map((cell) =>
      typeof cell === 'number' ? cell.toLocaleString('en-US') : cell,
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
