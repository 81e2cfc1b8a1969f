/**
 * Progress of an ebook: a live bar on a terminal (pages done, failed, rate,
 * ETA), plain `[Progress]` lines anywhere else (CI, a log file, a pipe).
 */
import type { BatchProgress, Logger } from 'redis-worker-pool';

export interface ProgressDisplay {
  update(progress: BatchProgress): void;
  /** Print a line without breaking the bar. */
  log(line: string): void;
  /** A logger for the pool that prints through `log()`. On a terminal, per-job lines are left out unless `verbose`. */
  logger(verbose?: boolean): Logger;
  /** Leave the bar where it is and stop redrawing. */
  stop(): void;
}

interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

export function formatEta(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function createProgressDisplay(
  options: { stream?: Writable; tty?: boolean; now?: () => number } = {},
): ProgressDisplay {
  const stream = options.stream ?? process.stdout;
  const tty = options.tty ?? stream.isTTY === true;
  const now = options.now ?? Date.now;
  const startedAt = now();
  let last: BatchProgress | undefined;
  // The rate counts pages finished while we watched: joining a half-done ebook must not inflate it.
  let base: { at: number; finished: number } | undefined;
  let lastLine = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const describe = (p: BatchProgress, bar: boolean): string => {
    const finished = p.completed + p.failed;
    const t = now();
    let rate = NaN;
    if (base && t - base.at > 500 && finished > base.finished)
      rate = ((finished - base.finished) * 60_000) / (t - base.at);
    const eta = p.done ? 0 : p.pending / (rate / 60_000);
    const parts = [
      `${finished}/${p.total} pages`,
      `${p.failed} failed`,
      Number.isNaN(rate) ? '- pages/min' : `${rate.toFixed(1)} pages/min`,
      p.done ? 'done' : `ETA ${Number.isNaN(rate) ? '-' : formatEta(eta)}`,
      `${formatEta(t - startedAt)} elapsed`,
    ];
    if (!bar) return `[Progress] ${parts.join(' | ')}`;
    const width = 24;
    const filled = Math.round((finished / Math.max(1, p.total)) * width);
    return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${parts.join(' | ')}`;
  };

  const draw = () => {
    if (stopped || !last || !tty) return;
    const line = describe(last, true);
    stream.write(`${CLEAR_LINE}${line.slice(0, Math.max(20, (stream.columns ?? 120) - 1))}`);
  };

  const display: ProgressDisplay = {
    update(p) {
      const finished = p.completed + p.failed;
      base ??= { at: now(), finished };
      last = p;
      if (tty) {
        draw();
        // Keep the elapsed time and ETA moving between pages.
        timer ??= setInterval(draw, 1000).unref();
        return;
      }
      const key = `${p.completed}/${p.failed}`;
      if (key === lastLine) return;
      lastLine = key;
      stream.write(`${describe(p, false)}\n`);
    },
    log(line) {
      if (tty && last && !stopped) {
        stream.write(`${CLEAR_LINE}${line}\n`);
        draw();
      } else {
        stream.write(`${line}\n`);
      }
    },
    logger(verbose = false) {
      const quiet = (m: string) =>
        tty && !verbose && /^\[Worker-\d+\] (Processing|Completed) job/.test(m);
      return {
        info: (m) => quiet(m) || display.log(m),
        warn: (m) => display.log(m),
        error: (m) => display.log(m),
      };
    },
    stop() {
      if (stopped) return;
      draw();
      stopped = true;
      clearInterval(timer);
      if (tty && last) stream.write('\n');
    },
  };
  return display;
}
