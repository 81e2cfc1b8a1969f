/** Text output of the CLI: durations, ages and aligned tables. */
import { escapeControl } from '../terminal-text.js';

import { formatDuration } from '../duration.js';

export { formatDuration };

/** `12.3s ago` for a past time, `in 4.0s` for a future one (both relative to `now`). */
export function relative(at: number, now: number): string {
  return at <= now ? `${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`;
}

/**
 * Columns padded to their widest cell, two spaces apart. With `width`, the
 * last column is cut to fit (a long error message must not wrap a table).
 */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  { indent = '  ', width }: { indent?: string; width?: number } = {},
): string[] {
  // Escaped first (a newline too, so a row stays one line), so widths count what is shown.
  rows = rows.map((row) => row.map((cell) => escapeControl(cell, { lines: false })));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) => {
    const text =
      indent +
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ');
    return width === undefined ? text.trimEnd() : truncate(text.trimEnd(), width);
  };
  return [line(headers), ...rows.map(line)];
}

/** Cut `text` to `width` characters, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (width < 2 || text.length <= width) return text;
  return `${text.slice(0, width - 1)}…`;
}

/** One line of an error message: the first line, white space collapsed. */
export function oneLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
}

/** `1 job`, `2 jobs`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
