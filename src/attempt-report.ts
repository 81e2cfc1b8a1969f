import { backoffDelay, DEFAULT_BACKOFF, type ResolvedBackoff } from './backoff.js';
import {
  QuotaExceededError,
  RateLimitError,
  UnrecoverableError,
  toStoredError,
  type RateLimitScope,
} from './errors.js';
import type { ClaimedJob } from './job.js';

/** How an attempt ended: its result (and the result's JSON), or its error. */
export type AttemptOutcome =
  { ok: true; result: string; value: unknown } | { ok: false; error: Error };

/**
 * What became of an attempt: done, failed for good, to be retried, rate
 * limited by the service it called, or out of that service's quota.
 */
export type ReportKind = 'completed' | 'failed' | 'retry' | 'rateLimited' | 'quotaExceeded';

/**
 * Redis's verdict on a report: applied (`ok`), refused (`stale`: its lease is
 * gone), a resend of one applied (`dup`), or refused as malformed (`invalid`:
 * a bug, never a lease lost).
 */
export type ReportStatus = 'ok' | 'stale' | 'dup' | 'invalid';

/** What became of a report: Redis's verdict, or `unsent` if the pool gave up on Redis while closing. */
export type ReportOutcome = ReportStatus | 'unsent';

/** An attempt's outcome, as the pool reports it to Redis. */
export interface AttemptReport {
  readonly id: string;
  /** The lease token the claim gave: a report whose lease is gone is refused. */
  readonly token: string;
  /**
   * `retry`: back to the queue after `delay`; `rateLimited`: the same without
   * spending the attempt, and every pool of the queue holds off for `delay`;
   * `quotaExceeded`: back to the front of `waiting` without spending the
   * attempt, and the queue is paused until someone resumes it.
   */
  readonly kind: ReportKind;
  /** The result JSON (`completed`), else the error JSON. */
  readonly payload: string;
  readonly attempt: number;
  /** When the attempt was claimed, Redis time (the pool clock may be off): stored as `processedAt`. */
  readonly startedAt: number;
  /** Milliseconds before a retry (`retry`, `rateLimited`); else 0. */
  readonly delay: number;
  /** The retention that applies to the job now, `count:age` (see retention.ts). */
  readonly keep: string;
  readonly batchId: string | undefined;
  readonly batchIndex: number | undefined;
  /** The job's group, if it has one. */
  readonly group?: string | undefined;
  /** `rateLimited` by a `RateLimitError` of scope `group`: hold only the job's group. */
  readonly groupScope?: true;
  /** The job has a cache (`completed` and `failed` only): the script settles its cache entry. */
  readonly cached?: true;
  /** That cache entry's key, declared to the script (absent for a job stored without it). */
  readonly cacheKey?: string;
  /** The attempt's real cost units (`ctx.reportCost`), settled in the cost windows; undefined if none. */
  readonly cost?: number;
}

/**
 * Turn an attempt's outcome into its report: completed; failed for good (an
 * `UnrecoverableError`, or no attempts left); or a retry after the backoff.
 */
export function reportFor(
  claimed: ClaimedJob,
  outcome: AttemptOutcome,
  {
    attempt,
    maxAttempts,
    startedAt,
    backoff,
    maxRateLimitHold,
  }: {
    attempt: number;
    maxAttempts: number;
    startedAt: number;
    backoff: ResolvedBackoff;
    /** Cap of a `RateLimitError`'s delay (the pool's `maxRateLimitHold`). */
    maxRateLimitHold: number;
  },
): AttemptReport {
  const { job } = claimed;
  // One object literal per outcome (no spreads): this runs for every job.
  const report = (
    kind: ReportKind,
    payload: string,
    delay: number,
    keep: string,
  ): AttemptReport => ({
    id: job.id,
    token: claimed.token,
    kind,
    payload,
    attempt,
    startedAt,
    delay,
    keep,
    batchId: job.batchId,
    batchIndex: job.batchIndex,
    group: job.group,
  });
  if (outcome.ok) {
    const done = report('completed', outcome.result, 0, claimed.keepCompleted);
    return withCache(done, claimed.options.cache);
  }
  const payload = JSON.stringify(toStoredError(outcome.error));
  if (isQuotaExceeded(outcome.error))
    return report('quotaExceeded', payload, 0, claimed.keepFailed);
  const retryAfter = rateLimitDelay(outcome.error);
  if (retryAfter !== undefined) {
    const limited = report(
      'rateLimited',
      payload,
      Math.min(Math.ceil(retryAfter), maxRateLimitHold),
      claimed.keepFailed,
    );
    return rateLimitScope(outcome.error) === 'group' ? { ...limited, groupScope: true } : limited;
  }
  const permanent =
    outcome.error instanceof UnrecoverableError ||
    (outcome.error as { code?: unknown }).code === 'ERR_UNRECOVERABLE';
  if (permanent || attempt >= maxAttempts) {
    const failed = report('failed', payload, 0, claimed.keepFailed);
    return withCache(failed, claimed.options.cache);
  }
  // The job's own backoff (stored resolved at add time) wins over the pool's.
  const own = claimed.options.backoff as Partial<ResolvedBackoff> | undefined;
  const delay = backoffDelay({ ...DEFAULT_BACKOFF, ...backoff, ...own }, attempt);
  return report('retry', payload, delay, claimed.keepFailed);
}

/** A `QuotaExceededError`, from this copy of the library or another (by its code). */
function isQuotaExceeded(error: Error): boolean {
  return (
    error instanceof QuotaExceededError ||
    (error as { code?: unknown }).code === 'ERR_QUOTA_EXCEEDED'
  );
}

/** Whether a rate-limit error holds the whole queue (the default) or the job's group. */
function rateLimitScope(error: Error): RateLimitScope {
  return (error as { scope?: unknown }).scope === 'group' ? 'group' : 'queue';
}

/** A `RateLimitError` (or an error shaped like one, from another copy of this library): its delay. */
function rateLimitDelay(error: Error): number | undefined {
  if (error instanceof RateLimitError) return error.retryAfter;
  const { code, retryAfter } = error as { code?: unknown; retryAfter?: unknown };
  // Infinity is capped like any long delay; NaN is not a delay.
  return code === 'ERR_RATE_LIMITED' && typeof retryAfter === 'number' && retryAfter >= 0
    ? retryAfter
    : undefined;
}

/** A final report of a job with a cache: marked, so the script settles the entry. */
function withCache(report: AttemptReport, cache: string | 1 | undefined): AttemptReport {
  if (!cache) return report;
  return typeof cache === 'string'
    ? { ...report, cached: true, cacheKey: cache }
    : { ...report, cached: true };
}
