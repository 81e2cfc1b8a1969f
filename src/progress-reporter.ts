import { DEFAULT_QUEUE_OPTIONS } from './options.js';
import { serialize } from './serialize.js';

/** Largest progress value, in bytes of JSON: the default job payload limit. */
export const MAX_PROGRESS_BYTES = DEFAULT_QUEUE_OPTIONS.maxPayloadSize;

/**
 * The progress side of one attempt: `ctx.progress(value)` lands here. Values
 * are coalesced, the latest wins: at most one write every `interval` ms (a
 * handler may report per token of a stream), never two in flight, and the
 * last value reported is always written. Made on the first `ctx.progress()`
 * call only: an attempt that never reports costs nothing.
 */
export class ProgressReporter {
  readonly #write: (json: string) => Promise<void>;
  readonly #interval: number;
  /** The latest value not yet sent, and the callers waiting for it (or a later one) to land. */
  #pending: { json: string; waiters: (() => void)[] } | undefined;
  #writing: Promise<void> | undefined;
  #lastWrite = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** `write` stores one value; it must not reject (it reports its own errors). */
  constructor(write: (json: string) => Promise<void>, interval: number) {
    this.#write = write;
    this.#interval = interval;
  }

  /** Resolves once this value, or a later one, is written (or ignored: the attempt ended). */
  report(value: unknown): Promise<void> {
    if (this.#closed) return Promise.resolve();
    let json: string;
    try {
      json = serialize(value, 'The progress value', {
        maxBytes: MAX_PROGRESS_BYTES,
        path: 'progress',
      });
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise((resolve) => {
      const waiters = this.#pending?.waiters ?? [];
      waiters.push(resolve);
      this.#pending = { json, waiters };
      this.#schedule();
    });
  }

  #schedule(): void {
    // Once closed, finish() sends what is pending itself, without waiting out the interval.
    if (this.#closed || this.#writing || this.#timer || !this.#pending) return;
    const wait = this.#lastWrite + this.#interval - Date.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#send();
      }, wait);
    } else {
      this.#send();
    }
  }

  #send(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.#lastWrite = Date.now();
    this.#writing = this.#write(pending.json).finally(() => {
      this.#writing = undefined;
      for (const resolve of pending.waiters) resolve();
      this.#schedule();
    });
  }

  /**
   * The attempt ended: later calls are ignored, and the value still pending is
   * written now, so followers see the last one before the job's outcome.
   */
  async finish(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing || this.#pending) {
      if (this.#writing) await this.#writing;
      else this.#send();
    }
  }
}
