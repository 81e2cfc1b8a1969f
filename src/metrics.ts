/**
 * Prometheus metrics for redis-worker-pool, on prom-client, published as the
 * subpath `redis-worker-pool/metrics`. prom-client is an optional peer
 * dependency: only code that imports this module loads it.
 *
 * Counters and histograms come from a pool's events, in the process that runs
 * it; gauges (jobs per state, pools connected) are read from Redis on each
 * scrape, so they are queue-wide.
 */
import {
  Counter,
  Gauge,
  Histogram,
  register as defaultRegistry,
  type LabelValues,
  type Registry,
} from 'prom-client';
import type {
  ConnectedPool,
  GroupTotals,
  JobCounts,
  JobMap,
  Queue,
  QueueMetrics,
  WorkerPool,
} from './index.js';
import { checkInteger, checkKnownKeys, checkObject, invalid } from './validate.js';

/** Seconds: from a quick call to a slow model call that runs into its timeout. */
export const DEFAULT_RUN_TIME_BUCKETS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300,
]);

/** Seconds: time in `waiting`, up to a backlog of half an hour. */
export const DEFAULT_WAIT_TIME_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800,
]);

export interface WorkerPoolMetricsOptions {
  /** The prom-client registry the metrics are registered in. @default prom-client's global `register` */
  registry?: Registry;
  /** First part of every metric name. @default 'worker_pool_' */
  prefix?: string;
  /** Buckets of `<prefix>job_run_seconds`. @default DEFAULT_RUN_TIME_BUCKETS */
  runTimeBuckets?: readonly number[];
  /** Buckets of `<prefix>job_wait_seconds`. @default DEFAULT_WAIT_TIME_BUCKETS */
  waitTimeBuckets?: readonly number[];
  /**
   * Milliseconds a scrape waits for Redis to read a queue's gauges; past it,
   * the queue's gauges are left out of that scrape and `<prefix>redis_up` is 0.
   * @default 2000
   */
  collectTimeout?: number;
}

/**
 * What the gauges need of a queue: a `Queue`, or anything with these methods
 * (without `getMetrics`, no `<prefix>queue_lag_seconds` and no cache gauges;
 * without `isPaused`, no `<prefix>queue_paused`; without `getGroupTotals`, no
 * `<prefix>queue_groups`).
 */
export type ObservedQueue = Pick<Queue, 'name' | 'getCounts' | 'getPools'> &
  Partial<Pick<Queue, 'getMetrics' | 'isPaused' | 'getGroupTotals'>>;

/** Minutes the cache gauges sum up. */
const CACHE_MINUTES = 15;

type JobLabels = 'queue' | 'job_name';
type GaugeState = 'waiting' | 'delayed' | 'active';
/** The `state` label of `<prefix>queue_groups`: three values, never a group's name. */
const GROUP_STATES = { ready: 'ready', limited: 'limited', setAside: 'set_aside' } as const;

/**
 * The metrics of any number of pools and queues, registered once in one
 * registry:
 *
 * ```ts
 * const metrics = new WorkerPoolMetrics();
 * metrics.observePool(pool); // counters and histograms from its events
 * metrics.observeQueue(queue); // gauges read from Redis on each scrape
 * // then serve `await metrics.registry.metrics()` with `metrics.registry.contentType`
 * ```
 */
export class WorkerPoolMetrics {
  /** The registry the metrics live in: serve `await registry.metrics()` on `/metrics`. */
  readonly registry: Registry;
  readonly #completed: Counter<JobLabels>;
  readonly #failed: Counter<JobLabels>;
  readonly #retried: Counter<JobLabels>;
  readonly #rateLimited: Counter<JobLabels>;
  readonly #stalled: Counter<JobLabels | 'outcome'>;
  readonly #runTime: Histogram<JobLabels>;
  readonly #waitTime: Histogram<JobLabels>;
  readonly #jobs: Gauge<'queue' | 'state'>;
  readonly #pools: Gauge<'queue'>;
  readonly #workers: Gauge<'queue'>;
  readonly #lag: Gauge<'queue'>;
  readonly #paused: Gauge<'queue'>;
  readonly #redisUp: Gauge<'queue'>;
  readonly #groups: Gauge<'queue' | 'state'>;
  readonly #concurrencyChanges: Counter<'queue' | 'reason'>;
  /** Pools observed in this process whose current concurrency the gauge reads on scrape. */
  readonly #observedPools = new Set<{ queue: string; concurrency: () => number }>();
  readonly #cache: Gauge<'queue' | 'result'>;
  readonly #queues = new Map<string, ObservedQueue>();
  readonly #collectTimeout: number;
  // One Redis read per scrape for all gauges: prom-client collects them in parallel.
  #reading: Promise<void> | undefined;

  constructor(options: WorkerPoolMetricsOptions = {}) {
    checkOptions(options);
    const registry = options.registry ?? defaultRegistry;
    const p = options.prefix ?? 'worker_pool_';
    const registers = [registry];
    const jobLabels = ['queue', 'job_name'] as const;
    this.registry = registry;
    this.#collectTimeout = options.collectTimeout ?? 2000;
    this.#completed = new Counter({
      name: `${p}jobs_completed_total`,
      help: 'Jobs completed by the pools of this process.',
      labelNames: jobLabels,
      registers,
    });
    this.#failed = new Counter({
      name: `${p}jobs_failed_total`,
      help: 'Jobs that failed for good (attempts spent, or an UnrecoverableError) in the pools of this process.',
      labelNames: jobLabels,
      registers,
    });
    this.#retried = new Counter({
      name: `${p}jobs_retried_total`,
      help: 'Failed attempts for which another attempt was scheduled.',
      labelNames: jobLabels,
      registers,
    });
    this.#rateLimited = new Counter({
      name: `${p}jobs_rate_limited_total`,
      help: 'Attempts that threw a RateLimitError: the queue was held and the job retried without spending an attempt.',
      labelNames: jobLabels,
      registers,
    });
    this.#stalled = new Counter({
      name: `${p}jobs_stalled_total`,
      help: 'Jobs found with an expired lease (their pool crashed or hung) and taken over: outcome "retry" or "failed".',
      labelNames: [...jobLabels, 'outcome'],
      registers,
    });
    this.#runTime = new Histogram({
      name: `${p}job_run_seconds`,
      help: 'Run time of the attempts that completed their job.',
      labelNames: jobLabels,
      buckets: [...(options.runTimeBuckets ?? DEFAULT_RUN_TIME_BUCKETS)],
      registers,
    });
    this.#waitTime = new Histogram({
      name: `${p}job_wait_seconds`,
      help: "Time from a job's creation to the start of an attempt (a retry's includes its earlier attempts and backoff).",
      labelNames: jobLabels,
      buckets: [...(options.waitTimeBuckets ?? DEFAULT_WAIT_TIME_BUCKETS)],
      registers,
    });
    const observed = this.#observedPools;
    // Read from the observed pools on each scrape: no field, nothing to set.
    new Gauge({
      name: `${p}pool_concurrency`,
      help: "Jobs the pools of this process may run at once now: an adaptive pool's current figure, a fixed pool's concurrency.",
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        for (const pool of observed) this.inc({ queue: pool.queue }, pool.concurrency());
      },
    });
    this.#concurrencyChanges = new Counter({
      name: `${p}concurrency_changes_total`,
      help: 'Changes of an adaptive pool\'s concurrency in this process, by reason: "rateLimited", "timeout", "latency" (cuts) or "healthy" (raises).',
      labelNames: ['queue', 'reason'],
      registers,
    });
    const read = () => this.#read();
    this.#jobs = new Gauge({
      name: `${p}queue_jobs`,
      help: 'Jobs of the queue in each state (waiting, delayed, active), read from Redis on scrape.',
      labelNames: ['queue', 'state'],
      registers,
      collect: read,
    });
    this.#pools = new Gauge({
      name: `${p}queue_pools`,
      help: 'Pools working on the queue, from every process (by heartbeat), read from Redis on scrape.',
      labelNames: ['queue'],
      registers,
      collect: read,
    });
    this.#workers = new Gauge({
      name: `${p}queue_concurrency`,
      help: "Worker slots of the queue's pools (the sum of their concurrency), read from Redis on scrape.",
      labelNames: ['queue'],
      registers,
      collect: read,
    });
    this.#groups = new Gauge({
      name: `${p}queue_groups`,
      help: 'Groups of the queue by scheduling state: ready (taking turns), limited (held by a group-scoped 429 or over group.limiter), set_aside (paused, or at group.concurrency); read from Redis on scrape.',
      labelNames: ['queue', 'state'],
      registers,
      collect: read,
    });
    this.#lag = new Gauge({
      name: `${p}queue_lag_seconds`,
      help: 'Seconds since the longest-waiting job next in line became ready to run (added, or due after its delay or backoff); 0 when nothing waits. Read from Redis on scrape: scale worker processes on it.',
      labelNames: ['queue'],
      registers,
      collect: read,
    });
    this.#paused = new Gauge({
      name: `${p}queue_paused`,
      help: '1 while the queue is paused (queue.pause(), worker-pool pause, or a QuotaExceededError), else 0. Read from Redis on scrape.',
      labelNames: ['queue'],
      registers,
      collect: read,
    });
    this.#cache = new Gauge({
      name: `${p}queue_cache_lookups`,
      help: `Adds with a \`cache\` key over the last ${CACHE_MINUTES} minutes, from every process, by result (hit: an existing job was reused; miss: a job was added), read from Redis on scrape.`,
      labelNames: ['queue', 'result'],
      registers,
      collect: read,
    });
    this.#redisUp = new Gauge({
      name: `${p}redis_up`,
      help: "1 when the last scrape read the queue's gauges from Redis, 0 when Redis did not answer in time.",
      labelNames: ['queue'],
      registers,
      collect: read,
    });
  }

  /**
   * Count the jobs of a pool (in this process) from its events. Returns a
   * function that stops counting.
   */
  observePool<J extends JobMap<J>>(
    pool: Pick<WorkerPool<J>, 'name' | 'on' | 'off'> & Partial<Pick<WorkerPool<J>, 'stats'>>,
  ): () => void {
    const queue = pool.name;
    const stats = pool.stats?.bind(pool);
    const gauged = stats && { queue, concurrency: () => stats().concurrency };
    if (gauged) this.#observedPools.add(gauged);
    const labels = (job: { name: string }): LabelValues<JobLabels> => ({
      queue,
      job_name: job.name,
    });
    const listeners = {
      active: ({ job, waited }: { job: { name: string }; waited: number }) =>
        this.#waitTime.observe(labels(job), waited / 1000),
      completed: ({ job, duration }: { job: { name: string }; duration: number }) => {
        this.#completed.inc(labels(job));
        this.#runTime.observe(labels(job), duration / 1000);
      },
      failed: ({ job }: { job: { name: string } }) => this.#failed.inc(labels(job)),
      retrying: ({ job }: { job: { name: string } }) => this.#retried.inc(labels(job)),
      rateLimited: ({ job }: { job: { name: string } }) => this.#rateLimited.inc(labels(job)),
      stalled: ({ name, outcome }: { name: string; outcome: string }) =>
        this.#stalled.inc({ queue, job_name: name || 'unknown', outcome }),
      concurrency: ({ reason }: { reason: string }) =>
        this.#concurrencyChanges.inc({ queue, reason }),
    };
    // The listeners' payloads are a subset of the events' (pool.on is typed per job map).
    const on = pool.on.bind(pool) as (event: string, fn: (event: never) => unknown) => unknown;
    const off = pool.off.bind(pool) as (event: string, fn: (event: never) => unknown) => unknown;
    for (const [event, fn] of Object.entries(listeners)) on(event, fn);
    return () => {
      for (const [event, fn] of Object.entries(listeners)) off(event, fn);
      if (gauged) this.#observedPools.delete(gauged);
    };
  }

  /**
   * Report a queue's gauges (jobs per state, pools and their worker slots),
   * read from Redis on each scrape. Returns a function that stops reporting.
   */
  observeQueue(queue: ObservedQueue): () => void {
    this.#queues.set(queue.name, queue);
    return () => {
      if (this.#queues.get(queue.name) !== queue) return;
      this.#queues.delete(queue.name);
      this.#clearGauges(queue.name);
    };
  }

  #read(): Promise<void> {
    this.#reading ??= Promise.all(
      [...this.#queues.values()].map((queue) => this.#readQueue(queue)),
    ).then(
      () => {
        this.#reading = undefined;
      },
      () => {
        this.#reading = undefined;
      },
    );
    return this.#reading;
  }

  async #readQueue(queue: ObservedQueue): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), this.#collectTimeout);
    });
    let counts: JobCounts;
    let pools: ConnectedPool[];
    let metrics: QueueMetrics | undefined;
    let paused: boolean | undefined;
    let groups: GroupTotals | undefined;
    try {
      [counts, pools, metrics, paused, groups] = await Promise.race([
        Promise.all([
          queue.getCounts(),
          queue.getPools(),
          // The lag, and the cache lookups of the last minutes.
          queue.getMetrics?.(CACHE_MINUTES),
          queue.isPaused?.(),
          queue.getGroupTotals?.(),
        ]),
        timeout,
      ]);
    } catch {
      // Leave the queue's gauges out rather than report stale numbers as current.
      this.#clearGauges(queue.name);
      this.#redisUp.set({ queue: queue.name }, 0);
      return;
    } finally {
      clearTimeout(timer);
    }
    const states: GaugeState[] = ['waiting', 'delayed', 'active'];
    for (const state of states) this.#jobs.set({ queue: queue.name, state }, counts[state]);
    this.#pools.set({ queue: queue.name }, pools.length);
    this.#workers.set(
      { queue: queue.name },
      pools.reduce((sum, pool) => sum + pool.concurrency, 0),
    );
    if (paused !== undefined) this.#paused.set({ queue: queue.name }, paused ? 1 : 0);
    if (metrics) {
      this.#lag.set({ queue: queue.name }, metrics.oldestWaitingAgeMs / 1000);
      let hits = 0;
      let misses = 0;
      for (const minute of metrics.minutes) {
        hits += minute.cacheHits;
        misses += minute.cacheMisses;
      }
      this.#cache.set({ queue: queue.name, result: 'hit' }, hits);
      this.#cache.set({ queue: queue.name, result: 'miss' }, misses);
    }
    if (groups) {
      for (const [field, state] of Object.entries(GROUP_STATES))
        this.#groups.set({ queue: queue.name, state }, groups[field as keyof GroupTotals]);
    }
    this.#redisUp.set({ queue: queue.name }, 1);
  }

  #clearGauges(queue: string): void {
    for (const state of ['waiting', 'delayed', 'active']) this.#jobs.remove({ queue, state });
    this.#pools.remove({ queue });
    this.#workers.remove({ queue });
    this.#lag.remove({ queue });
    this.#paused.remove({ queue });
    for (const result of ['hit', 'miss']) this.#cache.remove({ queue, result });
    for (const state of Object.values(GROUP_STATES)) this.#groups.remove({ queue, state });
  }
}

const KNOWN_OPTIONS = [
  'registry',
  'prefix',
  'runTimeBuckets',
  'waitTimeBuckets',
  'collectTimeout',
] as const;

/** The library's own checks, so a bad option reads (and is caught) as it does for a pool. */
function checkOptions(options: unknown): asserts options is WorkerPoolMetricsOptions {
  const o = checkObject('options', options);
  checkKnownKeys('WorkerPoolMetrics options', o, KNOWN_OPTIONS);
  if (
    o.registry !== undefined &&
    typeof (o.registry as { registerMetric?: unknown } | null)?.registerMetric !== 'function'
  ) {
    invalid('registry', 'a prom-client Registry', o.registry);
  }
  if (o.prefix !== undefined) {
    const expected = 'a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)';
    if (typeof o.prefix !== 'string') invalid('prefix', expected, o.prefix);
    if (!/^[a-zA-Z_:][\w:]*$|^$/.test(o.prefix))
      invalid('prefix', expected, o.prefix, { range: true });
  }
  for (const name of ['runTimeBuckets', 'waitTimeBuckets'] as const) {
    const value = o[name];
    if (value === undefined) continue;
    const expected = 'a non-empty array of increasing positive numbers (seconds)';
    if (!Array.isArray(value)) invalid(name, expected, value);
    const increasing = value.every(
      (b: unknown, i) =>
        typeof b === 'number' &&
        Number.isFinite(b) &&
        b > 0 &&
        (i === 0 || b > (value[i - 1] as number)),
    );
    if (value.length === 0 || !increasing) invalid(name, expected, value, { range: true });
  }
  if (o.collectTimeout !== undefined)
    checkInteger('collectTimeout', o.collectTimeout, { min: 1, max: 60_000 });
}
