/**
 * Progress of an ebook: a live bar on a terminal (pages done, failed, rate,
 * ETA, and the pages being written with their length so far), plain
 * `[Progress]` lines anywhere else (CI, a log file, a pipe).
 */
import { formatLogLine, type BatchProgress, type Logger, type LogFields } from 'redis-worker-pool';

export interface ProgressDisplay {
  update(progress: BatchProgress): void;
  /**
   * A page's progress as its handler reports it (`{ chars, done? }`, from
   * `waitForBatch`'s `onItemProgress`): shown on the bar until it is `done`.
   */
  writing(index: number, progress: unknown): void;
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

/** A page not heard from for this long is no longer shown as being written. */
const WRITING_STALE_MS = 15_000;

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
  /** Pages being written: characters so far, and when that was reported. */
  const pages = new Map<number, { chars: number; at: number }>();
  let drawnAt = 0;
  let drawSoon: NodeJS.Timeout | undefined;

  /** `writing #3 1204 ch, #5 640 ch`: pages heard from lately (a page that failed mid-way goes quiet). */
  const describeWriting = (t: number): string | undefined => {
    for (const [index, page] of pages) if (t - page.at > WRITING_STALE_MS) pages.delete(index);
    if (pages.size === 0) return undefined;
    const shown = [...pages.entries()]
      .sort(([a], [b]) => a - b)
      .slice(0, 3)
      .map(([index, page]) => `#${index + 1} ${page.chars} ch`);
    return `writing ${shown.join(', ')}${pages.size > 3 ? ` +${pages.size - 3}` : ''}`;
  };

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
    const writing = p.done ? undefined : describeWriting(t);
    if (writing) parts.push(writing);
    const width = 24;
    const filled = Math.round((finished / Math.max(1, p.total)) * width);
    return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${parts.join(' | ')}`;
  };

  const draw = () => {
    if (stopped || !last || !tty) return;
    drawnAt = now();
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
    writing(index, progress) {
      const { chars, done } = (progress ?? {}) as { chars?: unknown; done?: unknown };
      if (done === true || typeof chars !== 'number') pages.delete(index);
      else pages.set(index, { chars, at: now() });
      if (!tty || stopped) return;
      // Reports come per page every ~100 ms: redraw at most every 100 ms.
      if (now() - drawnAt >= 100) draw();
      else
        drawSoon ??= setTimeout(() => {
          drawSoon = undefined;
          draw();
        }, 100).unref();
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
      // The library passes the worker and scope as fields: the line gets its `[Worker-N]` prefix here.
      const line = (m: string, fields?: LogFields) => formatLogLine(m, fields);
      const quiet = (m: string) =>
        tty && !verbose && /^\[Worker-\d+\] (Processing|Completed) job/.test(m);
      return {
        info: (m, fields) => quiet(line(m, fields)) || display.log(line(m, fields)),
        warn: (m, fields) => display.log(line(m, fields)),
        error: (m, fields) => display.log(line(m, fields)),
      };
    },
    stop() {
      if (stopped) return;
      draw();
      stopped = true;
      clearInterval(timer);
      clearTimeout(drawSoon);
      if (tty && last) stream.write('\n');
    },
  };
  return display;
}
