/** The options of `WorkerPoolMetrics`, their defaults and their checks. */
import type { Registry } from 'prom-client';
import { checkInteger, checkKnownKeys, checkObject, invalid } from '../validate.js';

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

const KNOWN_OPTIONS = [
  'registry',
  'prefix',
  'runTimeBuckets',
  'waitTimeBuckets',
  'collectTimeout',
] as const;

/** The library's own checks, so a bad option reads (and is caught) as it does for a pool. */
export function checkOptions(options: unknown): asserts options is WorkerPoolMetricsOptions {
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
