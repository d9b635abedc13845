/** A plain text table (kubectl style: upper-case headers, two spaces between columns). The last column is cut to fit `width`. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, width: number | undefined): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const render = (cells: readonly string[]): string => {
    const line = cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
    return width !== undefined && line.length > width ? `${line.slice(0, Math.max(width - 1, 0))}…` : line.trimEnd();
  };
  return [render(headers), ...rows.map(render)].join('\n');
}
