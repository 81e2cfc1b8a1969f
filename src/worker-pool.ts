import type { ResolvedLimiter } from './limiter.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AdaptiveConcurrency, type AttemptSample } from './adaptive-concurrency.js';
import { CancelListener } from './cancel-listener.js';
import { ClaimLoop } from './claim-loop.js';
import {
  closeClient,
  describeConnection,
  keyPrefixOf,
  openClient,
  waitUntilReady,
  watchConnection,
  type ClientHandle,
  type RedisClient,
} from './connection.js';
import { redactError } from './redact.js';
import { PoolClosedError, RedisRefusedError, RedisUnavailableError } from './errors.js';
import { SafeEventEmitter, type WorkerPoolEvents } from './events.js';
import { HandlerRegistry, type JobHandlers } from './handlers.js';
import { MAX_TIMER_MS } from './job-options.js';
import { JobExecutor } from './job-executor.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { ClaimedJob, DefaultJobMap, JobMap } from './job.js';
import { formatDuration } from './logger.js';
import {
  checkQueueName,
  resolvePoolOptions,
  type ResolvedPoolOptions,
  type WorkerPoolOptions,
} from './options.js';
import { queueKeys, type QueueKeys } from './redis/keys.js';
import type { StalledJob } from './redis/protocol/move.js';
import { Scripts } from './redis/scripts.js';
import type { PoolInfo } from './pool-info.js';
import { logStats, StatsCollector, type PoolStats } from './stats.js';
import { attemptTracer, loadTracing, type AttemptTracer } from './tracing.js';
import { checkBoolean, checkInteger, checkKnownKeys, checkObject } from './validate.js';

export interface CloseOptions {
  /** Milliseconds running jobs get to finish before they are handed back. @default the pool's `gracePeriod` */
  gracePeriod?: number;
  /** Abort running jobs' signals and hand them back at once. @default false */
  force?: boolean;
}

export type PoolState = 'created' | 'starting' | 'running' | 'closing' | 'closed';

/** How often a pool tells Redis it is alive (see `queue.getPools()`). */
export const HEARTBEAT_INTERVAL = 5000;

/**
 * A pool of `concurrency` workers (fixed, or adaptive within `{ min, max }`) running the jobs of one queue. Start any
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
  /** Set again at start, with the client's keyPrefix (only known once the client is). */
  #keys: QueueKeys;
  // Random per pool: lease tokens must never repeat, even across restarts.
  readonly #poolId = randomBytes(6).toString('base64url');
  readonly #stats = new StatsCollector();
  readonly #executor: JobExecutor<J>;
  #state: PoolState = 'created';
  #paused = false;
  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  #command: ClientHandle | undefined;
  #blocking: ClientHandle | undefined;
  #loop: ClaimLoop | undefined;
  #leases: LeaseKeeper | undefined;
  #cancels: CancelListener | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #scripts: Scripts | undefined;
  #startedAt = 0;
  #drained = false;
  /** Set at start() when `@opentelemetry/api` is installed (see tracing.ts). */
  #tracer: AttemptTracer | undefined;
  /** The controller of `concurrency: { min, max }`; undefined for a fixed concurrency. */
  readonly #adaptive: AdaptiveConcurrency | undefined;
  /** When a claim last found the queue empty (this machine's clock): no backlog since. */
  #queueEmptyAt = 0;

  constructor(name: string, handlers: JobHandlers<J>, options?: WorkerPoolOptions<J>) {
    const resolved = resolvePoolOptions(options);
    super(resolved.logger);
    this.name = checkQueueName(name);
    this.#options = resolved;
    this.#keys = queueKeys(resolved.prefix, this.name);
    const adaptive = resolved.adaptiveConcurrency
      ? new AdaptiveConcurrency(resolved.adaptiveConcurrency)
      : undefined;
    this.#adaptive = adaptive;
    this.#executor = new JobExecutor<J>(resolved, new HandlerRegistry(handlers), this.#stats, {
      // A fixed pool leaves both out: its slots are its `concurrency`, and it learns nothing.
      ...(adaptive && {
        concurrency: () => adaptive.limit,
        attemptEnded: (sample) => this.#adapt(adaptive, sample),
      }),
      emit: (event, ...args) => this.#emit(event, ...args),
      listens: (event) => this.listenerCount(event) > 0,
      onError: (error, context) => this.#reportError(error, context),
      isAccepting: () => this.#state === 'running',
      // Before start() there is no loop and no job; after a failed start, nothing to send to.
      report: (report, settle) =>
        this.#loop ? this.#loop.report(report, settle) : settle('unsent'),
      slotFreed: (claimNow) => (claimNow ? this.#loop?.wake() : this.#loop?.expectWork()),
      writeProgress: (write) => this.#scripts?.progress(write) ?? Promise.resolve(false),
      tracer: () => this.#tracer,
    });
  }

  /** Connect, then keep `concurrency` jobs running while the queue has work. Resolves once connected. */
  start(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed')
      return Promise.reject(new PoolClosedError());
    this.#started ??= this.#start().catch(async (error: unknown) => {
      this.#started = undefined;
      this.#state = 'created';
      this.#cancels?.close();
      this.#cancels = undefined;
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
    const scope = { scope: 'Worker Pool', queue: this.name };
    const range = o.adaptiveConcurrency;
    const workers = range ? `${range.min}-${range.max} (adaptive)` : String(o.concurrency);
    log.info(`Initializing with ${workers} workers...`, scope);
    log.info(
      `Config: { queue: '${this.name}', concurrency: ${range ? `{ min: ${range.min}, max: ${range.max} }` : o.concurrency}, processingDelay: ${o.processingDelay}, ` +
        `timeout: ${o.timeout}, pollInterval: ${o.pollInterval}, attempts: ${o.attempts}, leaseDuration: ${o.leaseDuration}, ` +
        `maxRateLimitHold: ${o.maxRateLimitHold}, ` +
        describeLimiter(o.limiter) +
        `redis: '${describeConnection(o.connection)}' }`,
      scope,
    );
    // Both connections wait out Redis restarts instead of failing commands (maxRetriesPerRequest: null).
    // One after the other: if the first connection fails, the second is never
    // opened, rather than torn down mid-handshake (a TLS socket closed in its
    // handshake raises an error nobody can catch).
    for (const reuse of [true, false]) {
      const handle = openClient(o.connection, { maxRetriesPerRequest: null }, { reuse });
      if (reuse) this.#command = handle;
      else this.#blocking = handle;
      if (handle.owned) {
        watchConnection(handle.client, log, 'Worker Pool', (error) =>
          this.#reportError(error, 'Redis connection', false),
        );
      }
      await waitUntilReadyOrFail(handle.client, o);
    }
    if (!this.#command || !this.#blocking) throw new PoolClosedError();
    this.#keys = queueKeys(o.prefix, this.name, keyPrefixOf(this.#command.client));
    const scripts = new Scripts(this.#command.client, this.#keys);
    const blocking = this.#blocking.client;
    const marker = this.#keys.marker;
    // The pool is the one place that wires its parts: the loop claims and
    // reports, the executor runs jobs, the keeper renews and hands back leases.
    this.#loop = new ClaimLoop(
      scripts,
      // BZPOPMIN takes seconds, with decimals since Redis 6; 0 would mean "forever".
      (ms) => blocking.bzpopmin(marker, ms / 1000),
      {
        leaseDuration: o.leaseDuration,
        pollInterval: o.pollInterval,
        defaultAttempts: o.attempts,
        limiter: o.limiter,
        group: o.group,
        concurrency: o.concurrency,
        poolId: this.#poolId,
      },
      {
        freeSlots: () => this.#freeSlots(),
        ...(this.#adaptive && { concurrency: () => this.#concurrency() }),
        onClaimed: (jobs, now) => jobs.forEach((claimed) => this.#startJob(claimed, now)),
        onStalled: (job) => this.#onStalled(job),
        onQueueEmpty: () => {
          this.#queueEmptyAt = Date.now();
          this.#checkDrained();
        },
        onError: (error, context) => this.#reportError(error, context),
      },
    );
    this.#leases = new LeaseKeeper(scripts, this.#executor, {
      leaseDuration: o.leaseDuration,
      logger: log,
      onError: (error, context) => this.#reportError(error, context),
    });
    this.#cancels = new CancelListener(
      this.#command.client,
      this.#keys.cancel,
      log,
      ({ token, reason }) => this.#executor.cancel(token, reason),
      // One of the pool's connections: whichever notices an outage first reports it.
      (error) => this.#reportError(error, 'Redis connection', false),
    );
    this.#scripts = scripts;
    await loadTracing();
    this.#tracer = attemptTracer(this.name);
    this.#startedAt = Date.now();
    // The first heartbeat runs a script on the queue's keys: an ACL that forbids
    // them (NOPERM) fails start() here, loudly, instead of every claim later.
    try {
      await scripts.heartbeat({ poolId: this.#poolId, info: this.#info(), leaving: false });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RedisRefusedError(`Redis refused the pool's commands: ${message}`, {
        cause: error,
      });
    }
    // Without it a cancel still reaches running jobs, at the next lease renewal: report, go on.
    await this.#cancels
      .start()
      .catch((error: unknown) => this.#reportError(error, 'subscribing to cancels'));
    log.info('Redis connection successful.', scope);
    const perWorker = o.concurrency <= 10 ? log.info : (log.debug ?? (() => {}));
    // An adaptive pool starts its `min` workers; more start as the figure rises.
    for (let i = 1; i <= this.#concurrency(); i++)
      perWorker.call(log, 'Started', { queue: this.name, workerId: i });
    this.#state = 'running';
    this.#stats.reset();
    this.#leases.start();
    if (o.statsInterval > 0)
      this.#statsTimer = setInterval(() => this.#emitStats(), o.statsInterval);
    this.#heartbeatTimer = setInterval(() => void this.#heartbeat(), HEARTBEAT_INTERVAL);
    log.info(`All ${this.#concurrency()} workers started.`, scope);
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
  get state(): PoolState {
    return this.#state;
  }

  /** A fresh snapshot of this pool's counters. */
  stats(): PoolStats {
    const range = this.#options.adaptiveConcurrency;
    return this.#stats.snapshot(this.#executor.running, this.#concurrency(), range);
  }

  /** Jobs this pool may run at once now. */
  #concurrency(): number {
    return this.#adaptive ? this.#adaptive.limit : this.#options.concurrency;
  }

  /** Feed an ended attempt to the controller; announce the change it makes. */
  #adapt(adaptive: AdaptiveConcurrency, sample: Omit<AttemptSample, 'saturated'>): void {
    // Raise only when the limit is what holds the pool back: no claim found the
    // queue empty since this attempt started, so every slot that came free was
    // filled again. (Not "every slot busy now": slots freed a moment ago wait
    // for their claim's round trip, and would make a busy pool look idle.)
    const saturated = this.#queueEmptyAt < sample.startedAt;
    const change = adaptive.observe({ ...sample, saturated });
    if (!change) return;
    const { from, to, reason } = change;
    const log = to > from ? (this.#options.logger.debug ?? (() => {})) : this.#options.logger.info;
    log.call(this.#options.logger, `Concurrency ${from} -> ${to} (${reason})`, {
      scope: 'Worker Pool',
      queue: this.name,
      from,
      to,
      reason,
    });
    this.#emit('concurrency', change);
  }

  /**
   * Stop claiming, give running jobs `gracePeriod` ms to finish, hand the rest
   * back to `waiting` at once (their signals are aborted), send every pending
   * report and close the connections this pool opened. Safe to call twice.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (!this.#closed) {
      const o = checkObject('close options', options);
      checkKnownKeys('close options', o, ['gracePeriod', 'force']);
      if (o.gracePeriod !== undefined) {
        checkInteger('gracePeriod', o.gracePeriod, { min: 0, max: MAX_TIMER_MS });
      }
      if (o.force !== undefined) checkBoolean('force', o.force);
      this.#closed = this.#close(options);
    }
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
    clearInterval(this.#heartbeatTimer);
    this.#loop.stop();
    // Unblock the BZPOPMIN at once; this connection is always the pool's own.
    await closeClient(this.#blocking, { force: true });
    // A claim may be on its way back: let it land, so the jobs it brings are waited for or handed back too.
    await this.#loop.flush(Math.max(5000, gracePeriod));
    const running = this.#executor.running;
    if (running > 0) {
      const wait = force ? 0 : gracePeriod;
      log.info(`Closing: waiting up to ${formatDuration(wait)} for ${running} running jobs...`, {
        scope: 'Worker Pool',
        queue: this.name,
      });
      if (wait > 0) await this.#executor.settled(wait);
      const leases = this.#leases;
      await this.#executor.handBack(
        async (held) => leases?.release(held),
        new PoolClosedError('The pool closed and handed this job back to the queue'),
      );
    }
    this.#leases?.stop();
    this.#cancels?.close();
    this.#executor.stopResting();
    if (!(await this.#loop.flush(Math.max(5000, gracePeriod)))) {
      this.#loop.abandon();
      log.warn(
        'Redis did not answer; unsent results will be retried by another pool after their lease expires.',
        { scope: 'Worker Pool', queue: this.name },
      );
    }
    await this.#heartbeat(true);
    await closeClient(this.#command);
    this.#state = 'closed';
    log.info('Closed.', { scope: 'Worker Pool', queue: this.name });
  }

  /** Tell Redis this pool is alive, for `queue.getPools()` (and that it left, when closing). */
  async #heartbeat(leaving = false): Promise<void> {
    if (!this.#scripts) return;
    try {
      await this.#scripts.heartbeat({ poolId: this.#poolId, info: this.#info(), leaving });
    } catch (error) {
      // Not worth an error event: the next heartbeat will do, and claims report Redis trouble.
      this.#options.logger.debug?.(`Heartbeat failed: ${(error as Error).message}`, {
        scope: 'Worker Pool',
        queue: this.name,
      });
    }
  }

  #info(): PoolInfo {
    return {
      id: this.#poolId,
      hostname: hostname(),
      pid: process.pid,
      concurrency: this.#concurrency(),
      // Only an adaptive pool writes its bounds: a fixed pool's heartbeat stays as it was.
      ...(this.#options.adaptiveConcurrency && {
        minConcurrency: this.#options.adaptiveConcurrency.min,
        maxConcurrency: this.#options.adaptiveConcurrency.max,
      }),
      active: this.#executor.running,
      paused: this.#paused,
      startedAt: this.#startedAt,
      heartbeatInterval: HEARTBEAT_INTERVAL,
    };
  }

  #freeSlots(): number {
    if (this.#state !== 'running' || this.#paused) return 0;
    return this.#executor.freeSlots;
  }

  #startJob(claimed: ClaimedJob, claimedAt: number): void {
    this.#drained = false;
    this.#executor.start(claimed, claimedAt);
  }

  #onStalled({ id: jobId, outcome, name }: StalledJob): void {
    this.#stats.recordStalled();
    this.#options.logger.warn(
      `Job ${jobId} stalled (its lease expired); ${outcome === 'retry' ? 'back to waiting' : 'no attempts left: failed'}.`,
      { scope: 'Worker Pool', queue: this.name, jobId, name, outcome },
    );
    this.#emit('stalled', { jobId, name, outcome });
  }

  #checkDrained(): void {
    if (this.#drained || this.#executor.running > 0) return;
    this.#drained = true;
    this.#emit('drained');
  }

  #emitStats(): void {
    const stats = this.stats();
    logStats(this.#options.logger, stats, { queue: this.name });
    this.#emit('stats', stats);
  }

  #reportError(thrown: unknown, context: string, log = true): void {
    const error = redactError(thrown instanceof Error ? thrown : new Error(String(thrown)));
    if (log) {
      this.#options.logger.error(`Error ${context}: ${error.message}`, {
        scope: 'Worker Pool',
        queue: this.name,
        context,
        err: error,
      });
    }
    this.#emit('error', { error, context });
  }

  #emit<E extends keyof WorkerPoolEvents<J> & string>(
    event: E,
    ...args: WorkerPoolEvents<J>[E]
  ): void {
    (this.emit as (event: string, ...a: unknown[]) => boolean)(event, ...args);
  }
}

async function waitUntilReadyOrFail(
  client: RedisClient,
  options: ResolvedPoolOptions,
): Promise<void> {
  try {
    await waitUntilReady(client);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RedisUnavailableError(
      `Could not connect to Redis at ${describeConnection(options.connection)}: ${message}`,
      { cause: error },
    );
  }
}

/** The limiter windows for the Config line (`limiter: [50 jobs/60000 ms, 200000 cost/60000 ms], `), or '' for none. */
function describeLimiter({ jobs, cost }: ResolvedLimiter): string {
  const windows = [
    ...jobs.map((w) => `${w.max} jobs/${w.duration} ms`),
    ...cost.map((w) => `${w.max} cost/${w.duration} ms`),
  ];
  return windows.length === 0 ? '' : `limiter: [${windows.join(', ')}], `;
}
