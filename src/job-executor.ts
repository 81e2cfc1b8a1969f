import {
  reportFor,
  type AttemptOutcome,
  type AttemptReport,
  type ReportOutcome,
} from './attempt-report.js';
import type { AttemptSample } from './adaptive-concurrency.js';
import {
  AttemptAnnouncer,
  jobFields,
  type AnnouncerHost,
  type FinishedAttempt,
} from './attempt-announcer.js';
import {
  CostReportError,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  MissingHandlerError,
  UnrecoverableError,
} from './errors.js';
import type { HandlerRegistry } from './handlers.js';
import { AttemptController, runAttempt } from './job-runner.js';
import type { AnyJob, ClaimedJob, Job } from './job.js';
import { silentLogger } from './logger.js';
import { MAX_COST } from './job-options.js';
import type { ResolvedPoolOptions } from './options.js';
import { checkNumber } from './validate.js';
import type { StatsCollector } from './stats.js';
import { ProgressReporter } from './progress-reporter.js';
import type { ProgressWrite } from './redis/protocol/progress.js';
import type { AttemptTracer } from './tracing.js';
import { WorkerIds } from './worker-ids.js';

interface Running {
  readonly claimed: ClaimedJob;
  readonly controller: AttemptController;
  readonly workerId: number;
  /** Set when the pool handed the job back: its outcome is no longer ours to report. */
  handedBack: boolean;
  /** Set when the job was cancelled: Redis already ended it `failed`, nothing is reported. */
  cancelled?: JobCancelledError;
  /** Made on the handler's first `ctx.progress()` call. */
  progress?: ProgressReporter;
  /** The attempt's real cost, from `ctx.reportCost()`. */
  cost?: number;
  /** Set when the attempt's outcome is known: `ctx.reportCost()` is too late from then on. */
  ended?: boolean;
}

/** What the executor needs from its pool (besides what announcing an outcome needs). */
export interface ExecutorHost<J> extends AnnouncerHost<J> {
  /** Whether a slot that frees up should rest `processingDelay` first (not while closing). */
  isAccepting(): boolean;
  /** Send an attempt's report; `settle` runs with what became of it. */
  report(report: AttemptReport, settle: (outcome: ReportOutcome) => void): void;
  /**
   * A slot came free. `claimNow`: look for work at once; false when a report
   * is about to be sent, whose call can claim for the slot.
   */
  slotFreed(claimNow: boolean): void;
  /** Store a running job's progress; false when its lease is gone. */
  writeProgress(write: ProgressWrite): Promise<boolean>;
  /** Starts each attempt's span, once OpenTelemetry is loaded (see tracing.ts); else undefined. */
  tracer?(): AttemptTracer | undefined;
  /** Jobs the pool may run at once now (an adaptive pool's figure); else the `concurrency` option. */
  concurrency?(): number;
  /** An attempt ended: what an adaptive pool learns from. Only set for an adaptive pool. */
  attemptEnded?(sample: Omit<AttemptSample, 'saturated'>): void;
}

/** The lease of a running job: its id and its claim's token. */
export interface RunningLease {
  readonly id: string;
  readonly token: string;
}

/**
 * The pool's worker slots: runs claimed jobs in them and turns each attempt's
 * outcome into a report (completed, retry with backoff, or failed). Knows
 * nothing of Redis: reports leave, and freed slots are announced, through the
 * host the pool gives it.
 */
export class JobExecutor<J> {
  readonly #options: ResolvedPoolOptions;
  readonly #handlers: HandlerRegistry;
  readonly #host: ExecutorHost<J>;
  readonly #running = new Map<string, Running>();
  /** Slots taken: jobs running plus slots resting for `processingDelay`. */
  #busy = 0;
  /** Free worker numbers; the lowest is handed out first, so logs read Worker-1, Worker-2... */
  readonly #freeWorkerIds: WorkerIds;
  readonly #resting = new Set<NodeJS.Timeout>();
  /** Called when the last running job settles (see `settled()`). */
  #onIdle: (() => void) | undefined;
  /** Log lines are built only when someone reads them: this runs for every job. */
  readonly #verbose: boolean;
  readonly #announcer: AttemptAnnouncer<J>;

  constructor(
    options: ResolvedPoolOptions,
    handlers: HandlerRegistry,
    stats: StatsCollector,
    host: ExecutorHost<J>,
  ) {
    this.#options = options;
    this.#handlers = handlers;
    this.#host = host;
    this.#verbose = options.logger !== silentLogger;
    this.#announcer = new AttemptAnnouncer(host, stats, options.logger);
    this.#freeWorkerIds = new WorkerIds(options.concurrency);
  }

  get running(): number {
    return this.#running.size;
  }

  get freeSlots(): number {
    return (this.#host.concurrency?.() ?? this.#options.concurrency) - this.#busy;
  }

  /** Run a job claimed at `claimedAt` (Redis time) in a free slot. */
  start(claimed: ClaimedJob, claimedAt: number): void {
    const workerId = this.#freeWorkerIds.take();
    this.#busy++;
    const entry: Running = {
      claimed,
      controller: new AttemptController(),
      workerId,
      handedBack: false,
    };
    this.#running.set(claimed.token, entry);
    // #run handles every outcome of the handler itself; this only keeps a bug of
    // ours from becoming an unhandled rejection that would kill the process.
    this.#run(entry, claimedAt).catch((error: unknown) =>
      this.#host.onError(error, 'running a job'),
    );
  }

  async #run(entry: Running, claimedAt: number): Promise<void> {
    const { claimed, workerId } = entry;
    const job = claimed.job;
    const attempt = claimed.attemptsMade + 1;
    const maxAttempts = Math.max(attempt, claimed.maxAttempts ?? this.#options.attempts);
    const label = this.#verbose ? `${this.#label(job)} (Attempt ${attempt}/${maxAttempts})` : '';
    const startedAt = Date.now();
    if (this.#verbose)
      this.#options.logger.info(`Processing job: ${label}`, {
        ...jobFields(job, attempt, workerId),
        maxAttempts,
      });
    // Built only if someone listens: this runs for every job.
    if (this.#host.listens('active')) {
      const waited = Math.max(0, claimedAt - job.createdAt);
      this.#host.emit('active', { job: job as AnyJob<J>, attempt, workerId, waited });
    }

    // The handler runs in the attempt's span: its own spans (the model API call) nest under it.
    const span = this.#host.tracer?.()?.start(claimed, attempt, maxAttempts);
    const outcome = await (span
      ? span.run(() => this.#attempt(entry, attempt, maxAttempts))
      : this.#attempt(entry, attempt, maxAttempts));
    entry.ended = true;
    // The last progress value lands before the outcome, so followers see it first.
    if (entry.progress) await entry.progress.finish();
    this.#running.delete(claimed.token);
    if (this.#running.size === 0) this.#onIdle?.();
    if (entry.handedBack) {
      span?.end('handed_back');
      this.#release(workerId, false);
      return;
    }
    if (entry.cancelled) {
      this.#announcer.cancelled(entry.claimed.job, entry.cancelled, attempt, workerId, label);
      this.#release(workerId);
      return;
    }
    const outcomeReport = reportFor(claimed, outcome, {
      attempt,
      maxAttempts,
      // Redis time, like the finish time the script records: the pool's clock may be off.
      startedAt: claimedAt,
      backoff: this.#options.backoff,
      maxRateLimitHold: this.#options.maxRateLimitHold,
    });
    // The real cost rides with the report: settled in the same script call.
    const report =
      entry.cost === undefined ? outcomeReport : { ...outcomeReport, cost: entry.cost };
    if (this.#host.attemptEnded) {
      const kind = outcome.ok
        ? 'ok'
        : report.kind === 'rateLimited'
          ? 'rateLimited'
          : outcome.error instanceof JobTimeoutError
            ? 'timeout'
            : 'failed';
      this.#host.attemptEnded({ outcome: kind, startedAt, now: Date.now() });
    }
    const finished: FinishedAttempt = {
      job,
      attempt,
      workerId,
      duration: Date.now() - startedAt,
      label,
      outcome,
      report,
      span,
    };
    const rest = this.#options.processingDelay > 0 && this.#host.isAccepting();
    // Free the slot before reporting, so the call that carries this report also claims the next job.
    if (!rest) this.#release(workerId, false);
    this.#host.report(report, (status) => this.#announcer.outcome(status, finished));
    if (rest) this.#restThenRelease(workerId);
  }

  #attempt(entry: Running, attempt: number, maxAttempts: number): Promise<AttemptOutcome> {
    const { claimed, controller, workerId } = entry;
    if (claimed.decodeError) {
      // A job over a cost window's max already carries its own (unrecoverable) error.
      const error = UnrecoverableError.is(claimed.decodeError)
        ? claimed.decodeError
        : new UnrecoverableError(claimed.decodeError.message, { cause: claimed.decodeError });
      return Promise.resolve({ ok: false, error });
    }
    const handler = this.#handlers.get(claimed.job.name);
    if (!handler) {
      return Promise.resolve({
        ok: false,
        error: new MissingHandlerError(claimed.job.name, this.#handlers.names),
      });
    }
    const timeout =
      typeof claimed.options.timeout === 'number' ? claimed.options.timeout : this.#options.timeout;
    return runAttempt(
      (attemptController) =>
        handler(claimed.job, {
          // A getter: the AbortSignal is only made for a handler that reads it.
          get signal() {
            return attemptController.signal;
          },
          attempt,
          maxAttempts,
          workerId,
          progress: (value: unknown) => this.#progress(entry, attempt).report(value),
          reportCost: (units: number) => reportCost(entry, attempt, units),
        }),
      controller,
      timeout,
    );
  }

  /** The progress reporter of a running attempt, made on its first report. */
  #progress(entry: Running, attempt: number): ProgressReporter {
    if (entry.progress) return entry.progress;
    const { claimed, workerId } = entry;
    const { job, token } = claimed;
    const write: Omit<ProgressWrite, 'json'> = {
      id: job.id,
      token,
      batchId: job.batchId,
      batchIndex: job.batchIndex,
    };
    entry.progress = new ProgressReporter(async (json) => {
      try {
        const stored = await this.#host.writeProgress({ ...write, json });
        if (stored && this.#host.listens('progress')) {
          this.#host.emit('progress', {
            job: job as AnyJob<J>,
            progress: JSON.parse(json) as unknown,
            attempt,
            workerId,
          });
        }
      } catch (error) {
        // Progress is best effort: a failed write never fails the job.
        this.#host.onError(error, 'storing progress');
      }
    }, this.#options.progressInterval);
    return entry.progress;
  }

  #release(workerId: number, wake = true): void {
    this.#busy--;
    this.#freeWorkerIds.give(workerId);
    this.#host.slotFreed(wake);
  }

  #restThenRelease(workerId: number): void {
    const timer = setTimeout(() => {
      this.#resting.delete(timer);
      this.#release(workerId);
    }, this.#options.processingDelay);
    this.#resting.add(timer);
  }

  /** The leases of the jobs running now (not those handed back). */
  leases(): RunningLease[] {
    const leases: RunningLease[] = [];
    for (const r of this.#running.values()) {
      if (!r.handedBack) leases.push({ id: r.claimed.job.id, token: r.claimed.token });
    }
    return leases;
  }

  /**
   * The lease of `token` is gone: abort its attempt (its outcome would be
   * refused). `cancelled`: because its job was cancelled (found by renewal).
   */
  loseLease(token: string, cancelled = false): void {
    if (cancelled) return this.cancel(token, undefined);
    const r = this.#running.get(token);
    if (r) r.controller.abort(new LeaseLostError(r.claimed.job.id));
  }

  /** The job of `token` was cancelled: abort its attempt with a JobCancelledError. */
  cancel(token: string, reason: string | undefined): void {
    const r = this.#running.get(token);
    if (!r || r.cancelled || r.handedBack) return;
    r.cancelled = new JobCancelledError(r.claimed.job.id, reason);
    r.controller.abort(r.cancelled);
  }

  /** Resolve when every running job has settled, or after `ms`. */
  settled(ms: number): Promise<void> {
    if (this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onIdle = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#onIdle = done;
    });
  }

  /**
   * Give up every running job: its outcome is no longer reported. `release`
   * hands their leases back (to `waiting`, without spending an attempt); then
   * each attempt is aborted with `reason`.
   */
  async handBack(release: (leases: RunningLease[]) => Promise<void>, reason: Error): Promise<void> {
    const left = [...this.#running.values()];
    if (left.length === 0) return;
    for (const r of left) r.handedBack = true;
    await release(left.map((r) => ({ id: r.claimed.job.id, token: r.claimed.token })));
    for (const r of left) r.controller.abort(reason);
  }

  /** Cancel the rest of slots in `processingDelay`: the pool is closing. */
  stopResting(): void {
    for (const timer of this.#resting) clearTimeout(timer);
    this.#resting.clear();
  }

  #label(job: Job): string {
    if (this.#options.jobLabel) {
      try {
        return String(this.#options.jobLabel(job));
      } catch {
        // A broken label function must not fail the job; fall back to the default.
      }
    }
    const batch = job.batchId ? `, Batch=${job.batchId}, Index=${job.batchIndex}` : '';
    return `ID=${job.id}, Name=${job.name}${batch}`;
  }
}

/** `ctx.reportCost(n)`: the attempt's real cost, sent with its report (see HandlerContext). */
function reportCost(entry: Running, attempt: number, units: unknown): void {
  const cost = Math.ceil(checkNumber('ctx.reportCost(units)', units, { min: 0, max: MAX_COST }));
  const id = entry.claimed.job.id;
  if (entry.ended) {
    throw new CostReportError(
      `ctx.reportCost(${cost}) was called after attempt ${attempt} of job ${id} ended: its outcome (and cost) was already reported`,
    );
  }
  if (entry.cost !== undefined) {
    throw new CostReportError(
      `ctx.reportCost(${cost}) was called twice in attempt ${attempt} of job ${id} (first with ${entry.cost}): report the attempt's whole cost once`,
    );
  }
  entry.cost = cost;
}
