import type { AttemptOutcome, AttemptReport, ReportOutcome } from './attempt-report.js';
import { LeaseLostError, type JobCancelledError } from './errors.js';
import type { WorkerPoolEvents } from './events.js';
import type { AnyJob, Job } from './job.js';
import { formatDuration, silentLogger, type LogFields, type Logger } from './logger.js';
import type { StatsCollector } from './stats.js';
import { tracedOutcome, type AttemptSpan } from './tracing.js';

/** What announcing an outcome needs from the pool: its events and its error channel. */
export interface AnnouncerHost<J> {
  emit<E extends keyof WorkerPoolEvents<J> & string>(
    event: E,
    ...args: WorkerPoolEvents<J>[E]
  ): void;
  /** Whether `event` has listeners (payloads of per-job events are only built if so). */
  listens(event: keyof WorkerPoolEvents<J> & string): boolean;
  onError(error: unknown, context: string): void;
}

/** An attempt whose outcome is known, on its way to Redis. */
export interface FinishedAttempt {
  job: Job;
  attempt: number;
  workerId: number;
  duration: number;
  label: string;
  outcome: AttemptOutcome;
  report: AttemptReport;
  span: AttemptSpan | undefined;
}

/**
 * Tells the world what became of each attempt once Redis has ruled on its
 * report (applied, refused as stale, not sent): ends its span, counts it in
 * the pool's stats, logs it and emits the pool's event. The executor runs
 * attempts; this says how they ended.
 */
export class AttemptAnnouncer<J> {
  readonly #host: AnnouncerHost<J>;
  readonly #stats: StatsCollector;
  readonly #logger: Logger;
  /** Log lines are built only when someone reads them: this runs for every job. */
  readonly #verbose: boolean;

  constructor(host: AnnouncerHost<J>, stats: StatsCollector, logger: Logger) {
    this.#host = host;
    this.#stats = stats;
    this.#logger = logger;
    this.#verbose = logger !== silentLogger;
  }

  /** Log, count and emit an attempt's outcome once Redis has ruled on its report. */
  outcome(
    status: ReportOutcome,
    { job: plainJob, attempt, workerId, duration, label, outcome, report, span }: FinishedAttempt,
  ): void {
    span?.end(tracedOutcome(status, report.kind), outcome.ok ? undefined : outcome.error);
    const log = this.#logger;
    const job = plainJob as AnyJob<J>;
    if (status === 'stale') {
      this.#stats.recordLeaseLost();
      const error = new LeaseLostError(
        job.id,
        "another pool took the job over; this attempt's outcome was refused",
      );
      log.warn(`Outcome of job ${label} refused: ${error.message}`, {
        ...jobFields(job, attempt, workerId),
        err: error,
      });
      this.#host.emit('leaseLost', { job, attempt, workerId, error });
    } else if (status === 'invalid') {
      // Our own encoding is at fault, not another pool: say so, never "lease lost".
      this.#host.onError(
        new Error(
          `Redis refused the outcome of job ${job.id} as malformed (${report.kind}, delay ${report.delay}); ` +
            'the job is retried once its lease runs out',
        ),
        'reporting a job outcome',
      );
    } else if (status === 'unsent') {
      log.warn(
        `Outcome of job ${label} not sent: Redis unreachable while closing.`,
        jobFields(job, attempt, workerId),
      );
    } else if (outcome.ok) {
      this.#stats.recordSuccess();
      if (this.#verbose)
        log.info(`Completed job: ${label} in ${formatDuration(duration)}`, {
          ...jobFields(job, attempt, workerId),
          durationMs: duration,
        });
      if (this.#host.listens('completed')) {
        this.#host.emit('completed', { job, result: outcome.value, attempt, duration, workerId });
      }
    } else if (report.kind === 'rateLimited') {
      this.#stats.recordRateLimited();
      log.warn(
        `Rate limited: ${label}: ${outcome.error.message}. ${report.groupScope && job.group !== undefined ? `Group ${job.group}` : 'Queue'} held for ${formatDuration(report.delay)}; the job will be retried without spending an attempt`,
        { ...jobFields(job, attempt, workerId), delayMs: report.delay, err: outcome.error },
      );
      this.#host.emit('rateLimited', {
        job,
        error: outcome.error,
        retryAfter: report.delay,
        workerId,
      });
    } else if (report.kind === 'quotaExceeded') {
      log.error(
        `Quota exceeded: ${label}: ${outcome.error.message}. Queue paused: no pool claims another job until it is resumed (queue.resume() or worker-pool resume); the job will run again first, without spending an attempt`,
        { ...jobFields(job, attempt, workerId), err: outcome.error },
      );
      this.#host.emit('quotaExceeded', { job, error: outcome.error, workerId });
    } else if (report.kind === 'retry') {
      this.#stats.recordFailure({ retried: true });
      log.warn(
        `Job failed: ${label}: ${outcome.error.message}. Retrying in ${formatDuration(report.delay)}`,
        { ...jobFields(job, attempt, workerId), delayMs: report.delay, err: outcome.error },
      );
      this.#host.emit('retrying', {
        job,
        error: outcome.error,
        attempt,
        delay: report.delay,
        workerId,
      });
    } else {
      this.#stats.recordFailure({ retried: false });
      log.error(`Job failed permanently: ${label}: ${outcome.error.message}`, {
        ...jobFields(job, attempt, workerId),
        err: outcome.error,
      });
      this.#host.emit('failed', { job, error: outcome.error, attempt, workerId });
    }
  }

  /** A cancelled job: Redis ended it `failed` when it was cancelled; say so here. */
  cancelled(
    plainJob: Job,
    error: JobCancelledError,
    attempt: number,
    workerId: number,
    label: string,
  ): void {
    const job = plainJob as AnyJob<J>;
    this.#stats.recordFailure({ retried: false });
    this.#logger.warn(`Job cancelled: ${label || job.id}: ${error.message}`, {
      ...jobFields(job, attempt, workerId),
      err: error,
    });
    this.#host.emit('failed', { job, error, attempt, workerId });
  }
}

/** The fields of a log call about one attempt. */
export function jobFields(job: Job, attempt: number, workerId: number): LogFields {
  const fields: LogFields = { jobId: job.id, name: job.name, attempt, workerId };
  if (job.batchId) fields.batchId = job.batchId;
  return fields;
}
