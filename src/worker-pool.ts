import { randomBytes } from 'node:crypto';
import { backoffDelay, DEFAULT_BACKOFF, type ResolvedBackoff } from './backoff.js';
import { ClaimLoop, type ReportOutcome } from './claim-loop.js';
import {
  closeClient,
  describeConnection,
  openClient,
  watchConnection,
  type ClientHandle,
  type RedisClient,
} from './connection.js';
import {
  LeaseLostError,
  MissingHandlerError,
  OptionTypeError,
  PoolClosedError,
  UnrecoverableError,
  WorkerPoolError,
  toStoredError,
} from './errors.js';
import { SafeEventEmitter, type WorkerPoolEvents } from './events.js';
import { runAttempt, type AttemptOutcome, type HandlerContext } from './job-runner.js';
import type {
  AnyJob,
  ClaimedJob,
  DefaultJobMap,
  Job,
  JobData,
  JobMap,
  JobName,
  JobResult,
} from './job.js';
import { formatDuration } from './logger.js';
import {
  checkQueueName,
  resolvePoolOptions,
  type ResolvedPoolOptions,
  type WorkerPoolOptions,
} from './options.js';
import { queueKeys, type QueueKeys } from './redis/keys.js';
import { Scripts, type MoveReport } from './redis/scripts.js';
import { formatStatsLine, StatsCollector, type PoolStats } from './stats.js';
import { describeValue, isPlainObject } from './validate.js';

/** Runs jobs of one name. Return (or resolve with) the result; throw to fail the attempt. */
export type JobHandler<J, N extends JobName<J>> = (
  job: Job<JobData<J, N>, N>,
  context: HandlerContext,
) => JobResult<J, N> | Promise<JobResult<J, N>>;

/** One handler per job name, or one function for every name. */
export type JobHandlers<J> =
  { [N in JobName<J>]: JobHandler<J, N> } | ((job: AnyJob<J>, context: HandlerContext) => unknown);

export interface CloseOptions {
  /** Milliseconds running jobs get to finish before they are handed back. @default the pool's `gracePeriod` */
  gracePeriod?: number;
  /** Abort running jobs' signals and hand them back at once. @default false */
  force?: boolean;
}

type AnyHandler = (job: Job, context: HandlerContext) => unknown;
type State = 'created' | 'starting' | 'running' | 'closing' | 'closed';

interface Running {
  readonly claimed: ClaimedJob;
  readonly controller: AbortController;
  readonly workerId: number;
  /** Set when `close()` handed the job back: its outcome is no longer ours to report. */
  handedBack: boolean;
  /** Resolves when the handler's outcome is known. */
  readonly settled: Promise<void>;
}

/**
 * A pool of `concurrency` workers running the jobs of one queue. Start any
 * number of pools, in any number of processes, on one queue: each job runs on
 * one of them at a time, and a job whose pool dies is taken over by another.
 *
 * ```ts
 * const pool = new WorkerPool<Jobs>('pages', {
 *   page: async (job, { signal }) => generatePage(job.data, { signal }),
 * }, { concurrency: 5 });
 * await pool.start();
 * process.on('SIGTERM', () => pool.close());
 * ```
 */
export class WorkerPool<J extends JobMap<J> = DefaultJobMap> extends SafeEventEmitter<
  WorkerPoolEvents<J>
> {
  readonly name: string;
  readonly #options: ResolvedPoolOptions;
  readonly #handlers: AnyHandler | ReadonlyMap<string, AnyHandler>;
  readonly #keys: QueueKeys;
  // Random per pool: lease tokens must never repeat, even across restarts.
  readonly #poolId = randomBytes(6).toString('base64url');
  readonly #stats = new StatsCollector();
  #state: State = 'created';
  #paused = false;
  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  #command: ClientHandle | undefined;
  #blocking: ClientHandle | undefined;
  #scripts: Scripts | undefined;
  #loop: ClaimLoop | undefined;
  readonly #running = new Map<string, Running>();
  /** Slots taken: jobs running plus slots resting for `processingDelay`. */
  #busy = 0;
  /** Free worker numbers; pop() hands out the lowest first. */
  readonly #freeWorkerIds: number[];
  readonly #resting = new Set<NodeJS.Timeout>();
  #renewTimer: NodeJS.Timeout | undefined;
  #renewing = false;
  #statsTimer: NodeJS.Timeout | undefined;
  #drained = false;

  constructor(name: string, handlers: JobHandlers<J>, options?: WorkerPoolOptions<J>) {
    const resolved = resolvePoolOptions(options);
    super(resolved.logger);
    this.name = checkQueueName(name);
    this.#options = resolved;
    this.#handlers = resolveHandlers(handlers);
    this.#keys = queueKeys(resolved.prefix, this.name);
    this.#freeWorkerIds = Array.from(
      { length: resolved.concurrency },
      (_, i) => resolved.concurrency - i,
    );
  }

  /** Connect, then keep `concurrency` jobs running while the queue has work. Resolves once connected. */
  start(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed')
      return Promise.reject(new PoolClosedError());
    this.#started ??= this.#start().catch(async (error: unknown) => {
      this.#started = undefined;
      this.#state = 'created';
      await closeClient(this.#blocking, { force: true });
      await closeClient(this.#command, { force: true });
      throw error;
    });
    return this.#started;
  }

  async #start(): Promise<void> {
    const o = this.#options;
    const log = o.logger;
    this.#state = 'starting';
    log.info(`[Worker Pool] Initializing with ${o.concurrency} workers...`);
    log.info(
      `[Worker Pool] Config: { queue: '${this.name}', concurrency: ${o.concurrency}, processingDelay: ${o.processingDelay}, ` +
        `timeout: ${o.timeout}, pollInterval: ${o.pollInterval}, attempts: ${o.attempts}, leaseDuration: ${o.leaseDuration}, ` +
        `redis: '${describeConnection(o.connection)}' }`,
    );
    // Both connections wait out Redis restarts instead of failing commands (maxRetriesPerRequest: null).
    this.#command = openClient(o.connection, { maxRetriesPerRequest: null }, { reuse: true });
    this.#blocking = openClient(o.connection, { maxRetriesPerRequest: null }, { reuse: false });
    for (const handle of [this.#command, this.#blocking]) {
      if (handle.owned) {
        watchConnection(handle.client, log, '[Worker Pool]', (error) =>
          this.#reportError(error, 'Redis connection', false),
        );
      }
    }
    await Promise.all([
      waitUntilReady(this.#command.client, o),
      waitUntilReady(this.#blocking.client, o),
    ]);
    this.#scripts = new Scripts(this.#command.client, this.#keys);
    this.#loop = new ClaimLoop(
      this.#scripts,
      this.#blocking.client,
      {
        leaseDuration: o.leaseDuration,
        pollInterval: o.pollInterval,
        defaultAttempts: o.attempts,
        poolId: this.#poolId,
        markerKey: this.#keys.marker,
      },
      {
        freeSlots: () => this.#freeSlots(),
        onClaimed: (jobs) => jobs.forEach((claimed) => this.#startJob(claimed)),
        onStalled: (jobId, outcome) => this.#onStalled(jobId, outcome),
        onQueueEmpty: () => this.#checkDrained(),
        onError: (error, context) => this.#reportError(error, context),
      },
    );
    log.info('[Worker Pool] Redis connection successful.');
    const perWorker = o.concurrency <= 10 ? log.info : (log.debug ?? (() => {}));
    for (let i = 1; i <= o.concurrency; i++) perWorker.call(log, `[Worker-${i}] Started`);
    this.#state = 'running';
    this.#stats.reset();
    this.#renewTimer = setInterval(
      () => void this.#renewLeases(),
      Math.max(10, Math.floor(o.leaseDuration / 3)),
    );
    if (o.statsInterval > 0)
      this.#statsTimer = setInterval(() => this.#emitStats(), o.statsInterval);
    log.info(`[Worker Pool] All ${o.concurrency} workers started.`);
    this.#loop.wake();
  }

  /** Stop claiming jobs; running jobs go on. */
  pause(): void {
    this.#paused = true;
  }

  /** Claim jobs again after `pause()`. */
  resume(): void {
    this.#paused = false;
    this.#loop?.wake();
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  /** `created`, `starting`, `running`, `closing` or `closed`. */
  get state(): State {
    return this.#state;
  }

  /** A fresh snapshot of this pool's counters. */
  stats(): PoolStats {
    return this.#stats.snapshot(this.#running.size, this.#options.concurrency);
  }

  /**
   * Stop claiming, give running jobs `gracePeriod` ms to finish, hand the rest
   * back to `waiting` at once (their signals are aborted), send every pending
   * report and close the connections this pool opened. Safe to call twice.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(options);
    return this.#closed;
  }

  async #close({
    gracePeriod = this.#options.gracePeriod,
    force = false,
  }: CloseOptions): Promise<void> {
    const log = this.#options.logger;
    const wasStarted = this.#started;
    this.#state = 'closing';
    if (wasStarted) await wasStarted.catch(() => {});
    if (!this.#loop) {
      this.#state = 'closed';
      return;
    }
    clearInterval(this.#statsTimer);
    this.#loop.stop();
    // Unblock the BZPOPMIN at once; this connection is always the pool's own.
    await closeClient(this.#blocking, { force: true });
    // A claim may be on its way back: let it land, so the jobs it brings are waited for or handed back too.
    await this.#loop.flush(Math.max(5000, gracePeriod));
    if (this.#running.size > 0) {
      log.info(
        `[Worker Pool] Closing: waiting up to ${formatDuration(force ? 0 : gracePeriod)} for ${this.#running.size} running jobs...`,
      );
      if (!force)
        await settledWithin(
          [...this.#running.values()].map((r) => r.settled),
          gracePeriod,
        );
      await this.#handBack();
    }
    clearInterval(this.#renewTimer);
    for (const timer of this.#resting) clearTimeout(timer);
    this.#resting.clear();
    if (!(await this.#loop.flush(Math.max(5000, gracePeriod)))) {
      this.#loop.abandon();
      log.warn(
        '[Worker Pool] Redis did not answer; unsent results will be retried by another pool after their lease expires.',
      );
    }
    await closeClient(this.#command);
    this.#state = 'closed';
    log.info('[Worker Pool] Closed.');
  }

  /** Hand jobs still running back to `waiting` without spending an attempt, and abort them. */
  async #handBack(): Promise<void> {
    const left = [...this.#running.values()];
    if (left.length === 0 || !this.#scripts) return;
    for (const r of left) r.handedBack = true;
    try {
      const released = await this.#scripts.release(
        left.map((r) => ({ id: r.claimed.job.id, token: r.claimed.token })),
      );
      this.#options.logger.info(
        `[Worker Pool] Handed ${released.length} unfinished jobs back to the queue.`,
      );
    } catch (error) {
      this.#reportError(error, 'handing jobs back');
    }
    for (const r of left)
      r.controller.abort(
        new PoolClosedError('The pool closed and handed this job back to the queue'),
      );
  }

  #freeSlots(): number {
    if (this.#state !== 'running' || this.#paused) return 0;
    return this.#options.concurrency - this.#busy;
  }

  #startJob(claimed: ClaimedJob): void {
    const workerId = this.#freeWorkerIds.pop() ?? 0;
    this.#busy++;
    this.#drained = false;
    const controller = new AbortController();
    let markSettled!: () => void;
    const settled = new Promise<void>((resolve) => (markSettled = resolve));
    const entry: Running = { claimed, controller, workerId, handedBack: false, settled };
    this.#running.set(claimed.token, entry);
    void this.#runJob(entry).finally(markSettled);
  }

  async #runJob(entry: Running): Promise<void> {
    const { claimed, workerId } = entry;
    const job = claimed.job;
    const attempt = claimed.attemptsMade + 1;
    const maxAttempts = Math.max(attempt, claimed.maxAttempts ?? this.#options.attempts);
    const label = `${this.#label(job)} (Attempt ${attempt}/${maxAttempts})`;
    const startedAt = Date.now();
    this.#options.logger.info(`[Worker-${workerId}] Processing job: ${label}`);
    this.#emit('active', { job: job as AnyJob<J>, attempt, workerId });

    const outcome = await this.#attempt(entry, attempt, maxAttempts);
    this.#running.delete(claimed.token);
    if (entry.handedBack) {
      this.#releaseSlot(workerId, false);
      return;
    }
    const duration = Date.now() - startedAt;
    const report = this.#buildReport(claimed, outcome, attempt, maxAttempts, startedAt);
    const rest = this.#options.processingDelay > 0 && this.#state === 'running';
    // Free the slot before reporting, so the call that carries this report also claims the next job.
    if (!rest) this.#releaseSlot(workerId, false);
    const ctx = { job, attempt, maxAttempts, workerId, duration, label };
    if (this.#loop)
      this.#loop.report(report, (status) => this.#afterReport(status, report, outcome, ctx));
    else this.#afterReport('unsent', report, outcome, ctx);
    if (rest) this.#restThenRelease(workerId);
  }

  #attempt(entry: Running, attempt: number, maxAttempts: number): Promise<AttemptOutcome> {
    const { claimed, controller, workerId } = entry;
    if (claimed.decodeError)
      return Promise.resolve({
        ok: false,
        error: new UnrecoverableError(claimed.decodeError.message, { cause: claimed.decodeError }),
      });
    const handler = this.#handlerFor(claimed.job.name);
    if (!handler) {
      const known = typeof this.#handlers === 'function' ? [] : [...this.#handlers.keys()];
      return Promise.resolve({
        ok: false,
        error: new MissingHandlerError(claimed.job.name, known),
      });
    }
    const timeout =
      typeof claimed.options.timeout === 'number' ? claimed.options.timeout : this.#options.timeout;
    return runAttempt(
      (signal) => handler(claimed.job, { signal, attempt, maxAttempts, workerId }),
      controller,
      timeout,
    );
  }

  #buildReport(
    claimed: ClaimedJob,
    outcome: AttemptOutcome,
    attempt: number,
    maxAttempts: number,
    startedAt: number,
  ): MoveReport {
    const base = {
      id: claimed.job.id,
      token: claimed.token,
      attempt,
      startedAt,
      batchId: claimed.job.batchId ?? '',
      batchIndex: claimed.job.batchIndex === undefined ? '' : String(claimed.job.batchIndex),
    };
    if (outcome.ok)
      return { ...base, kind: 'c', payload: outcome.result, delay: 0, keep: claimed.keepCompleted };
    const payload = JSON.stringify(toStoredError(outcome.error));
    const permanent =
      outcome.error instanceof UnrecoverableError ||
      (outcome.error as { code?: unknown }).code === 'ERR_UNRECOVERABLE';
    if (permanent || attempt >= maxAttempts)
      return { ...base, kind: 'f', payload, delay: 0, keep: claimed.keepFailed };
    const backoff =
      (claimed.options.backoff as ResolvedBackoff | undefined) ?? this.#options.backoff;
    const delay = backoffDelay({ ...DEFAULT_BACKOFF, ...backoff }, attempt);
    return { ...base, kind: 'r', payload, delay, keep: claimed.keepFailed };
  }

  #afterReport(
    status: ReportOutcome,
    report: MoveReport,
    outcome: AttemptOutcome,
    ctx: {
      job: Job;
      attempt: number;
      maxAttempts: number;
      workerId: number;
      duration: number;
      label: string;
    },
  ): void {
    const log = this.#options.logger;
    const { workerId, label, attempt } = ctx;
    const job = ctx.job as AnyJob<J>;
    if (status === 'stale') {
      this.#stats.recordLeaseLost();
      const error = new LeaseLostError(
        job.id,
        "another pool took the job over; this attempt's outcome was refused",
      );
      log.warn(`[Worker-${workerId}] Outcome of job ${label} refused: ${error.message}`);
      this.#emit('leaseLost', { job, attempt, workerId, error });
      return;
    }
    if (status === 'unsent') {
      log.warn(
        `[Worker-${workerId}] Outcome of job ${label} not sent: Redis unreachable while closing.`,
      );
      return;
    }
    if (outcome.ok) {
      this.#stats.recordSuccess();
      log.info(`[Worker-${workerId}] Completed job: ${label} in ${formatDuration(ctx.duration)}`);
      this.#emit('completed', {
        job,
        result: outcome.value,
        attempt,
        duration: ctx.duration,
        workerId,
      });
    } else if (report.kind === 'r') {
      this.#stats.recordFailure({ retried: true });
      log.warn(
        `[Worker-${workerId}] Job failed: ${label}: ${outcome.error.message}. Retrying in ${formatDuration(report.delay)}`,
      );
      this.#emit('retrying', { job, error: outcome.error, attempt, delay: report.delay, workerId });
    } else {
      this.#stats.recordFailure({ retried: false });
      log.error(`[Worker-${workerId}] Job failed permanently: ${label}: ${outcome.error.message}`);
      this.#emit('failed', { job, error: outcome.error, attempt, workerId });
    }
  }

  #releaseSlot(workerId: number, wake = true): void {
    this.#busy--;
    this.#freeWorkerIds.push(workerId);
    // Keep the lowest number on top, so logs read Worker-1, Worker-2...
    this.#freeWorkerIds.sort((a, b) => b - a);
    if (wake) this.#loop?.wake();
    else this.#loop?.expectWork();
  }

  #restThenRelease(workerId: number): void {
    const timer = setTimeout(() => {
      this.#resting.delete(timer);
      this.#releaseSlot(workerId);
    }, this.#options.processingDelay);
    this.#resting.add(timer);
  }

  async #renewLeases(): Promise<void> {
    if (this.#renewing || !this.#scripts || this.#running.size === 0) return;
    this.#renewing = true;
    try {
      const running = [...this.#running.values()].filter((r) => !r.handedBack);
      const lost = new Set(
        await this.#scripts.renew(
          this.#options.leaseDuration,
          running.map((r) => ({ id: r.claimed.job.id, token: r.claimed.token })),
        ),
      );
      for (const r of running) {
        if (lost.has(r.claimed.token)) r.controller.abort(new LeaseLostError(r.claimed.job.id));
      }
    } catch (error) {
      this.#reportError(error, 'renewing leases');
    } finally {
      this.#renewing = false;
    }
  }

  #onStalled(jobId: string, outcome: 'retry' | 'failed'): void {
    this.#stats.recordStalled();
    this.#options.logger.warn(
      `[Worker Pool] Job ${jobId} stalled (its lease expired); ${outcome === 'retry' ? 'back to waiting' : 'no attempts left: failed'}.`,
    );
    this.#emit('stalled', { jobId, outcome });
  }

  #checkDrained(): void {
    if (this.#drained || this.#running.size > 0) return;
    this.#drained = true;
    this.#emit('drained');
  }

  #emitStats(): void {
    const stats = this.stats();
    this.#options.logger.info(formatStatsLine(stats));
    this.#emit('stats', stats);
  }

  #reportError(thrown: unknown, context: string, log = true): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    if (log) this.#options.logger.error(`[Worker Pool] Error ${context}: ${error.message}`);
    this.#emit('error', { error, context });
  }

  #emit<E extends keyof WorkerPoolEvents<J> & string>(
    event: E,
    ...args: WorkerPoolEvents<J>[E]
  ): void {
    (this.emit as (event: string, ...a: unknown[]) => boolean)(event, ...args);
  }

  #handlerFor(name: string): AnyHandler | undefined {
    return typeof this.#handlers === 'function' ? this.#handlers : this.#handlers.get(name);
  }

  #label(job: Job): string {
    if (this.#options.jobLabel) {
      try {
        return String(this.#options.jobLabel(job));
      } catch {
        // A broken label function must not fail the job; fall back to the default.
      }
    }
    return `ID=${job.id}, Name=${job.name}${job.batchId ? `, Batch=${job.batchId}, Index=${job.batchIndex}` : ''}`;
  }
}

function resolveHandlers(handlers: unknown): AnyHandler | ReadonlyMap<string, AnyHandler> {
  if (typeof handlers === 'function') return handlers as AnyHandler;
  if (!isPlainObject(handlers)) {
    throw new OptionTypeError(
      `Expected \`handlers\` to be a function or an object of functions by job name, got ${describeValue(handlers)}`,
      'handlers',
    );
  }
  const map = new Map<string, AnyHandler>();
  // Own keys only: a job named `constructor` or `__proto__` must not find Object.prototype's.
  for (const [name, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') {
      throw new OptionTypeError(
        `Expected \`handlers.${name}\` to be a function, got ${describeValue(handler)}`,
        `handlers.${name}`,
      );
    }
    map.set(name, handler as AnyHandler);
  }
  if (map.size === 0) {
    throw new OptionTypeError(
      'Expected `handlers` to have at least one handler, got an empty object',
      'handlers',
    );
  }
  return map;
}

/**
 * Resolve when the client is ready; reject on its first error. At start a
 * wrong URL or password should fail loudly, not retry forever in silence.
 */
function waitUntilReady(client: RedisClient, options: ResolvedPoolOptions): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(
        new WorkerPoolError(
          `Could not connect to Redis at ${describeConnection(options.connection)}: ${error.message}`,
          'ERR_REDIS_UNAVAILABLE',
          {
            cause: error,
          },
        ),
      );
    };
    const cleanup = () => {
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

async function settledWithin(promises: Promise<void>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(promises),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
