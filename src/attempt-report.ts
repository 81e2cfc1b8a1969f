import { backoffDelay, DEFAULT_BACKOFF, type ResolvedBackoff } from './backoff.js';
import { RateLimitError, UnrecoverableError, toStoredError } from './errors.js';
import type { AttemptOutcome } from './job-runner.js';
import type { ClaimedJob } from './job.js';
import type { MoveReport } from './redis/scripts.js';

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
  }: { attempt: number; maxAttempts: number; startedAt: number; backoff: ResolvedBackoff },
): MoveReport {
  const { job } = claimed;
  const batchIndex = job.batchIndex === undefined ? '' : String(job.batchIndex);
  // One object literal per outcome (no spreads): this runs for every job.
  const report = (
    kind: MoveReport['kind'],
    payload: string,
    delay: number,
    keep: string,
  ): MoveReport => ({
    id: job.id,
    token: claimed.token,
    kind,
    payload,
    attempt,
    startedAt,
    delay,
    keep,
    batchId: job.batchId ?? '',
    batchIndex,
  });
  if (outcome.ok) return report('c', outcome.result, 0, claimed.keepCompleted);
  const payload = JSON.stringify(toStoredError(outcome.error));
  const retryAfter = rateLimitDelay(outcome.error);
  if (retryAfter !== undefined) return report('l', payload, retryAfter, claimed.keepFailed);
  const permanent =
    outcome.error instanceof UnrecoverableError ||
    (outcome.error as { code?: unknown }).code === 'ERR_UNRECOVERABLE';
  if (permanent || attempt >= maxAttempts) return report('f', payload, 0, claimed.keepFailed);
  // The job's own backoff (stored resolved at add time) wins over the pool's.
  const own = claimed.options.backoff as Partial<ResolvedBackoff> | undefined;
  const delay = backoffDelay({ ...DEFAULT_BACKOFF, ...backoff, ...own }, attempt);
  return report('r', payload, delay, claimed.keepFailed);
}

/** A `RateLimitError` (or an error shaped like one, from another copy of this library): its delay. */
function rateLimitDelay(error: Error): number | undefined {
  if (error instanceof RateLimitError) return error.retryAfter;
  const { code, retryAfter } = error as { code?: unknown; retryAfter?: unknown };
  return code === 'ERR_RATE_LIMITED' && typeof retryAfter === 'number' && retryAfter >= 0
    ? retryAfter
    : undefined;
}
