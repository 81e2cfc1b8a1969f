import { setTimeout as sleep } from 'node:timers/promises';
import { escapeControl } from '../terminal-text.js';
import { truncate } from './format.js';
import type { Io } from './io.js';

const ESC = '\x1b[';

/**
 * Show `read()` every `interval` ms until SIGINT or SIGTERM. On a terminal the
 * screen is redrawn in place (lines cut to its width, so the count of lines to
 * redraw is exact); elsewhere (a pipe, a log file) each refresh is printed
 * after the previous one. A failed read (Redis went away) is shown in place of
 * the screen, and the next tick tries again.
 */
export async function watch(
  io: Io,
  interval: number,
  read: () => Promise<string[]>,
  {
    describeError = (error: Error) => error.message,
    separate = true,
  }: {
    describeError?: (error: Error) => string;
    /** A blank line between refreshes when not on a terminal (not for JSON lines). */
    separate?: boolean;
  } = {},
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = io.stdout.isTTY === true;
  let drawn = 0;
  if (tty) io.stdout.write(`${ESC}?25l`); // hide the cursor while redrawing
  try {
    while (!stop.signal.aborted) {
      let lines: string[];
      try {
        lines = await read();
      } catch (error) {
        lines = [
          `Could not read the queue: ${describeError(error as Error)}`,
          `Retrying every ${interval} ms; Ctrl+C to stop.`,
        ];
      }
      if (stop.signal.aborted) break;
      if (tty) {
        const width = io.stdout.columns || 80;
        // Escaped before cutting, so the count of lines and their width are what the terminal shows.
        const shown = [...lines, '', `Every ${interval} ms. Ctrl+C to stop.`]
          .flatMap((line) => escapeControl(line).split('\n'))
          .map((line) => truncate(line, width));
        io.stdout.write(
          (drawn > 0 ? `${ESC}${drawn}A${ESC}0J` : '') + shown.map((l) => `${l}\n`).join(''),
        );
        drawn = shown.length;
      } else {
        io.out(lines.join('\n'));
        if (separate) io.out('');
      }
      await sleep(interval, undefined, { signal: stop.signal }).catch(() => {});
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (tty) io.stdout.write(`${ESC}?25h`);
  }
}
