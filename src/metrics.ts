/**
 * Prometheus metrics for redis-worker-pool, on prom-client, published as the
 * subpath `redis-worker-pool/metrics`. prom-client is an optional peer
 * dependency: only code that imports this module loads it.
 *
 * Counters and histograms come from a pool's events, in the process that runs
 * it (`metrics/pool-metrics.ts`); gauges (jobs per state, pools connected) are
 * read from Redis on each scrape, so they are queue-wide (`metrics/queue-gauges.ts`).
 */
import { register as defaultRegistry, type Registry } from 'prom-client';
import type { JobMap, WorkerPool } from './index.js';
import { checkOptions, type WorkerPoolMetricsOptions } from './metrics/options.js';
import { PoolMetrics } from './metrics/pool-metrics.js';
import { QueueGauges, type ObservedQueue } from './metrics/queue-gauges.js';

export {
  DEFAULT_RUN_TIME_BUCKETS,
  DEFAULT_WAIT_TIME_BUCKETS,
  type WorkerPoolMetricsOptions,
} from './metrics/options.js';
export type { ObservedQueue } from './metrics/queue-gauges.js';

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
  readonly #pools: PoolMetrics;
  readonly #queues: QueueGauges;

  constructor(options: WorkerPoolMetricsOptions = {}) {
    checkOptions(options);
    const registry = options.registry ?? defaultRegistry;
    const p = options.prefix ?? 'worker_pool_';
    this.registry = registry;
    // The pools' metrics first: a scrape lists them in the order they were registered.
    this.#pools = new PoolMetrics(registry, p, options);
    this.#queues = new QueueGauges(registry, p, options.collectTimeout ?? 2000);
  }

  /**
   * Count the jobs of a pool (in this process) from its events. Returns a
   * function that stops counting.
   */
  observePool<J extends JobMap<J>>(
    pool: Pick<WorkerPool<J>, 'name' | 'on' | 'off'> & Partial<Pick<WorkerPool<J>, 'stats'>>,
  ): () => void {
    return this.#pools.observe(pool);
  }

  /**
   * Report a queue's gauges (jobs per state, pools and their worker slots),
   * read from Redis on each scrape. Returns a function that stops reporting.
   */
  observeQueue(queue: ObservedQueue): () => void {
    return this.#queues.observe(queue);
  }
}
