/**
 * The queue-wide gauges: jobs per state, pools connected, lag, pause, groups
 * and cache lookups, read from Redis on each scrape, so they count every
 * process's work, not this one's.
 */
import { Gauge, type Registry } from 'prom-client';
import type { ConnectedPool, GroupTotals, JobCounts, Queue, QueueMetrics } from '../index.js';

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

type GaugeState = 'waiting' | 'delayed' | 'active';
/** The `state` label of `<prefix>queue_groups`: three values, never a group's name. */
const GROUP_STATES = { ready: 'ready', limited: 'limited', setAside: 'set_aside' } as const;

export class QueueGauges {
  readonly #jobs: Gauge<'queue' | 'state'>;
  readonly #pools: Gauge<'queue'>;
  readonly #workers: Gauge<'queue'>;
  readonly #lag: Gauge<'queue'>;
  readonly #paused: Gauge<'queue'>;
  readonly #redisUp: Gauge<'queue'>;
  readonly #groups: Gauge<'queue' | 'state'>;
  readonly #cache: Gauge<'queue' | 'result'>;
  readonly #queues = new Map<string, ObservedQueue>();
  readonly #collectTimeout: number;
  // One Redis read per scrape for all gauges: prom-client collects them in parallel.
  #reading: Promise<void> | undefined;

  constructor(registry: Registry, p: string, collectTimeout: number) {
    const registers = [registry];
    this.#collectTimeout = collectTimeout;
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

  /** Read the queue's gauges from Redis on each scrape; returns a function that stops it. */
  observe(queue: ObservedQueue): () => void {
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
