import type { LogFields, Logger } from './logger.js';

/** A read-only snapshot of one pool's counters, from `pool.stats()` and the `stats` event. */
export interface PoolStats {
  /** Milliseconds since `start()`. */
  readonly uptime: number;
  /** Attempts this pool finished: `succeeded + failed`. */
  readonly processed: number;
  /** Attempts that completed their job. */
  readonly succeeded: number;
  /** Attempts that failed, whether the job was retried or failed for good. */
  readonly failed: number;
  /** Of the failed attempts, those scheduled for another attempt. */
  readonly retried: number;
  /** Attempts that hit a rate limit (`RateLimitError`): not counted as failed, retried without spending an attempt. */
  readonly rateLimited: number;
  /** Jobs this pool found with an expired lease and reclaimed (their pool crashed or hung). */
  readonly stalled: number;
  /** Reports this pool made for jobs whose lease it had lost; Redis refused them. */
  readonly leasesLost: number;
  /** `succeeded / processed`, from 0 to 1; 0 before anything was processed. */
  readonly successRate: number;
  /** Jobs running now. */
  readonly active: number;
  /** Jobs this pool may run at once now: fixed, or the current figure of an adaptive pool. */
  readonly concurrency: number;
  /** The bounds of an adaptive pool's concurrency; both equal `concurrency` for a fixed pool. */
  readonly minConcurrency: number;
  readonly maxConcurrency: number;
  /** Attempts finished per minute, over the last minute (or the uptime, if shorter). */
  readonly throughput: number;
}

const WINDOW_SECONDS = 60;

/** Counters and a one-minute sliding window. Pure: the clock is injected for tests. */
export class StatsCollector {
  #startedAt: number;
  #succeeded = 0;
  #failed = 0;
  #retried = 0;
  #stalled = 0;
  #leasesLost = 0;
  #rateLimited = 0;
  // Finished attempts per second over the last minute: a ring indexed by epoch second.
  #buckets = new Array<number>(WINDOW_SECONDS).fill(0);
  #bucketSecond = new Array<number>(WINDOW_SECONDS).fill(-1);
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#startedAt = now();
  }

  reset(): void {
    this.#startedAt = this.#now();
  }

  recordSuccess(): void {
    this.#succeeded++;
    this.#tick();
  }

  recordFailure({ retried }: { retried: boolean }): void {
    this.#failed++;
    if (retried) this.#retried++;
    this.#tick();
  }

  recordRateLimited(): void {
    this.#rateLimited++;
  }

  recordStalled(): void {
    this.#stalled++;
  }

  recordLeaseLost(): void {
    this.#leasesLost++;
  }

  #tick(): void {
    const second = Math.floor(this.#now() / 1000);
    const i = second % WINDOW_SECONDS;
    if (this.#bucketSecond[i] !== second) {
      this.#bucketSecond[i] = second;
      this.#buckets[i] = 0;
    }
    this.#buckets[i] = (this.#buckets[i] ?? 0) + 1;
  }

  /** `range`: an adaptive pool's bounds; a fixed pool's are its `concurrency`. */
  snapshot(
    active: number,
    concurrency: number,
    range: { min: number; max: number } = { min: concurrency, max: concurrency },
  ): PoolStats {
    const now = this.#now();
    const second = Math.floor(now / 1000);
    let recent = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      const s = this.#bucketSecond[i] ?? -1;
      if (s > second - WINDOW_SECONDS) recent += this.#buckets[i] ?? 0;
    }
    const uptime = Math.max(0, now - this.#startedAt);
    const windowSeconds = Math.min(WINDOW_SECONDS, Math.max(1, uptime / 1000));
    const processed = this.#succeeded + this.#failed;
    return Object.freeze({
      uptime,
      processed,
      succeeded: this.#succeeded,
      failed: this.#failed,
      retried: this.#retried,
      rateLimited: this.#rateLimited,
      stalled: this.#stalled,
      leasesLost: this.#leasesLost,
      successRate: processed === 0 ? 0 : this.#succeeded / processed,
      active,
      concurrency,
      minConcurrency: range.min,
      maxConcurrency: range.max,
      throughput: (recent * 60) / windowSeconds,
    });
  }
}

/** `[Stats] Uptime: 60s | Processed: 15 | Success: 14 | Failed: 1 | Success Rate: 93.3% | Active: 3 | ...` */
export function formatStatsLine(stats: PoolStats): string {
  return `[Stats] ${statsMessage(stats)}`;
}

/** The stats line without its `[Stats]` prefix: the message of the stats log call. */
function statsMessage(stats: PoolStats): string {
  const rate = stats.processed === 0 ? 'n/a' : `${(stats.successRate * 100).toFixed(1)}%`;
  return (
    `Uptime: ${Math.round(stats.uptime / 1000)}s | Processed: ${stats.processed} | ` +
    `Success: ${stats.succeeded} | Failed: ${stats.failed} | Success Rate: ${rate} | ` +
    `Active: ${stats.active} | Throughput: ${stats.throughput.toFixed(1)}/min` +
    // Only an adaptive pool's line says it: a fixed pool's line stays the original's.
    (stats.minConcurrency === stats.maxConcurrency
      ? ''
      : ` | Concurrency: ${stats.concurrency} (${stats.minConcurrency}-${stats.maxConcurrency})`)
  );
}

/**
 * Log a stats snapshot: the `[Stats] Uptime: ...` line through the default
 * formatter, every number as a field for a structured logger.
 */
export function logStats(logger: Logger, stats: PoolStats, fields: LogFields = {}): void {
  logger.info(statsMessage(stats), {
    ...fields,
    scope: 'Stats',
    uptimeMs: stats.uptime,
    processed: stats.processed,
    succeeded: stats.succeeded,
    failed: stats.failed,
    retried: stats.retried,
    rateLimited: stats.rateLimited,
    stalled: stats.stalled,
    leasesLost: stats.leasesLost,
    successRate: stats.successRate,
    active: stats.active,
    concurrency: stats.concurrency,
    minConcurrency: stats.minConcurrency,
    maxConcurrency: stats.maxConcurrency,
    throughput: stats.throughput,
  });
}
