/**
 * The metrics of the pools in this process: counters and histograms counted
 * from each pool's events, and the concurrency the pools have now.
 */
import { Counter, Gauge, Histogram, type LabelValues, type Registry } from 'prom-client';
import type { JobMap, WorkerPool } from '../index.js';
import {
  DEFAULT_RUN_TIME_BUCKETS,
  DEFAULT_WAIT_TIME_BUCKETS,
  type WorkerPoolMetricsOptions,
} from './options.js';

type JobLabels = 'queue' | 'job_name';

/** What `observe` needs of a pool: its name and events, and its stats for the concurrency gauge. */
export type ObservedPool<J extends JobMap<J>> = Pick<WorkerPool<J>, 'name' | 'on' | 'off'> &
  Partial<Pick<WorkerPool<J>, 'stats'>>;

export class PoolMetrics {
  readonly #completed: Counter<JobLabels>;
  readonly #failed: Counter<JobLabels>;
  readonly #retried: Counter<JobLabels>;
  readonly #rateLimited: Counter<JobLabels>;
  readonly #stalled: Counter<JobLabels | 'outcome'>;
  readonly #runTime: Histogram<JobLabels>;
  readonly #waitTime: Histogram<JobLabels>;
  readonly #concurrencyChanges: Counter<'queue' | 'reason'>;
  /** Pools observed in this process whose current concurrency the gauge reads on scrape. */
  readonly #observedPools = new Set<{ queue: string; concurrency: () => number }>();

  constructor(
    registry: Registry,
    p: string,
    options: Pick<WorkerPoolMetricsOptions, 'runTimeBuckets' | 'waitTimeBuckets'>,
  ) {
    const registers = [registry];
    const jobLabels = ['queue', 'job_name'] as const;
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
  }

  /** Count a pool's jobs from its events; returns a function that stops counting. */
  observe<J extends JobMap<J>>(pool: ObservedPool<J>): () => void {
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
}
