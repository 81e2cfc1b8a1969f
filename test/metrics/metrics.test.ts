import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServer } from '../../src/cli/metrics-server.js';
import { OptionRangeError, UnrecoverableError, type HandlerContext } from '../../src/index.js';
import { WorkerPoolMetrics } from '../../src/metrics.js';
import { useHarness } from '../support/harness.js';
import { parseMetrics, sampleValue, type Sample } from '../support/prometheus.js';
import { until } from '../support/redis.js';

type Jobs = {
  page: { data: { ms?: number; fail?: boolean; failAttempts?: number }; result: string };
  cover: { data: object; result: string };
};

const h = useHarness('metrics');
const servers: MetricsServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pool and a queue named `pages`, observed by fresh metrics served over HTTP. */
async function setup() {
  const registry = new Registry();
  const metrics = new WorkerPoolMetrics({ registry });
  const queue = h.queue<Jobs>('pages');
  const pool = h.pool<Jobs>(
    {
      page: async (job, { attempt }: HandlerContext) => {
        await sleep(job.data.ms ?? 50);
        if (job.data.fail) throw new UnrecoverableError('refused');
        if (attempt <= (job.data.failAttempts ?? 0)) throw new Error('flaky');
        return 'ok';
      },
      cover: async () => 'cover',
    },
    { concurrency: 4, backoff: 0 },
    'pages',
  );
  metrics.observePool(pool);
  metrics.observeQueue(queue);
  const server = await startMetricsServer({
    port: 0,
    host: '127.0.0.1',
    metrics: async () => ({ body: await registry.metrics(), contentType: registry.contentType }),
    health: async () => ({ ok: true, checks: {} }),
  });
  servers.push(server);
  const scrape = async (): Promise<Sample[]> => {
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return parseMetrics(await response.text());
  };
  return { registry, metrics, queue, pool, scrape };
}

const page = { queue: 'pages', job_name: 'page' };

describe('WorkerPoolMetrics scraped over HTTP', () => {
  it('counts completed, failed and retried jobs by queue and job name, with run and wait times', async () => {
    const { queue, pool, scrape } = await setup();
    await pool.start();
    await queue.addBulk([
      { name: 'page', data: { ms: 100 } },
      { name: 'page', data: { ms: 100 } },
      { name: 'page', data: { ms: 100 } },
      { name: 'page', data: { fail: true } },
      { name: 'page', data: { failAttempts: 1 } },
      { name: 'cover', data: {} },
    ]);
    let samples: Sample[] = [];
    await until(async () => {
      samples = await scrape();
      return (
        sampleValue(samples, 'worker_pool_jobs_completed_total', page) === 4 &&
        sampleValue(samples, 'worker_pool_jobs_failed_total', page) === 1
      );
    }, 'the jobs to be counted');
    expect(sampleValue(samples, 'worker_pool_jobs_completed_total', { job_name: 'cover' })).toBe(1);
    expect(sampleValue(samples, 'worker_pool_jobs_retried_total', page)).toBe(1);
    expect(sampleValue(samples, 'worker_pool_job_run_seconds_count', page)).toBe(4);
    // Three 100 ms pages and the retried 50 ms one: at least 0.35 s of run time.
    expect(sampleValue(samples, 'worker_pool_job_run_seconds_sum', page)).toBeGreaterThanOrEqual(
      0.35,
    );
    expect(
      sampleValue(samples, 'worker_pool_job_run_seconds_bucket', { ...page, le: '+Inf' }),
    ).toBe(4);
    // Every attempt started: 3 + 1 failed + 2 for the retried job.
    expect(sampleValue(samples, 'worker_pool_job_wait_seconds_count', page)).toBe(6);
    expect(sampleValue(samples, 'worker_pool_job_wait_seconds_count', { job_name: 'cover' })).toBe(
      1,
    );
    expect(sampleValue(samples, 'worker_pool_jobs_stalled_total', page)).toBeUndefined();
  });

  it('reads the queue gauges from Redis on each scrape: jobs per state, pools, worker slots', async () => {
    const { queue, pool, scrape } = await setup();
    await pool.start();
    await queue.pause();
    await queue.addBulk([
      { name: 'page', data: {} },
      { name: 'page', data: {} },
    ]);
    await queue.add('page', {}, { delay: 600_000 });
    let samples: Sample[] = [];
    // getPools() lists a pool from its first heartbeat, sent by start().
    await until(async () => {
      samples = await scrape();
      return sampleValue(samples, 'worker_pool_queue_pools', { queue: 'pages' }) === 1;
    }, 'the pool to be listed');
    const jobs = (state: string) =>
      sampleValue(samples, 'worker_pool_queue_jobs', { queue: 'pages', state });
    expect(jobs('waiting')).toBe(2);
    expect(jobs('delayed')).toBe(1);
    expect(jobs('active')).toBe(0);
    expect(sampleValue(samples, 'worker_pool_queue_concurrency', { queue: 'pages' })).toBe(4);
    expect(sampleValue(samples, 'worker_pool_redis_up', { queue: 'pages' })).toBe(1);
    const lookups = (result: string) =>
      sampleValue(samples, 'worker_pool_queue_cache_lookups', { queue: 'pages', result });
    expect([lookups('hit'), lookups('miss')]).toEqual([0, 0]);
    // Adds with a cache key, from this process or any other: counted in Redis.
    const cache = { key: 'cover:v1', ttl: 60_000 };
    await queue.add('cover', {}, { cache });
    await queue.add('cover', {}, { cache });
    await queue.add('cover', {}, { cache });
    samples = await scrape();
    expect([lookups('hit'), lookups('miss')]).toEqual([2, 1]);

    await queue.resume();
    await until(async () => {
      samples = await scrape();
      return jobs('waiting') === 0;
    }, 'the waiting jobs to run');
  });

  it('counts a stalled job under its name, and its outcome', async () => {
    const { queue, pool, scrape } = await setup();
    const job = await queue.add('page', {});
    // What the pool emits when it takes over a job whose lease expired.
    pool.emit('stalled', { jobId: job.id, name: 'page', outcome: 'retry' });
    pool.emit('stalled', { jobId: 'no-such-job', name: '', outcome: 'failed' });
    let samples: Sample[] = [];
    await until(async () => {
      samples = await scrape();
      return samples.filter((s) => s.name === 'worker_pool_jobs_stalled_total').length === 2;
    }, 'the stalled jobs to be counted');
    expect(
      sampleValue(samples, 'worker_pool_jobs_stalled_total', { ...page, outcome: 'retry' }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'worker_pool_jobs_stalled_total', {
        job_name: 'unknown',
        outcome: 'failed',
      }),
    ).toBe(1);
  });

  it("gauges an adaptive pool's current concurrency and counts its changes by reason", async () => {
    const registry = new Registry();
    const metrics = new WorkerPoolMetrics({ registry });
    const queue = h.queue<Jobs>('pages');
    const pool = h.pool<Jobs>(
      { page: async () => (await sleep(20), 'ok'), cover: async () => 'c' },
      { concurrency: { min: 1, max: 6 } },
      'pages',
    );
    const stopPool = metrics.observePool(pool);
    let samples = parseMetrics(await registry.metrics());
    expect(sampleValue(samples, 'worker_pool_pool_concurrency', { queue: 'pages' })).toBe(1);
    await pool.start();
    await queue.addBulk(Array.from({ length: 200 }, () => ({ name: 'page' as const, data: {} })));
    await until(() => pool.stats().concurrency === 6, 'the pool to reach its max', 60_000);
    samples = parseMetrics(await registry.metrics());
    expect(sampleValue(samples, 'worker_pool_pool_concurrency', { queue: 'pages' })).toBe(6);
    expect(
      sampleValue(samples, 'worker_pool_concurrency_changes_total', {
        queue: 'pages',
        reason: 'healthy',
      }),
    ).toBeGreaterThanOrEqual(5);
    stopPool();
    samples = parseMetrics(await registry.metrics());
    expect(
      sampleValue(samples, 'worker_pool_pool_concurrency', { queue: 'pages' }),
    ).toBeUndefined();
  }, 90_000);

  it('stops counting a pool and reporting a queue once detached', async () => {
    const registry = new Registry();
    const metrics = new WorkerPoolMetrics({ registry });
    const queue = h.queue<Jobs>('pages');
    const pool = h.pool<Jobs>({ page: async () => 'ok', cover: async () => 'c' }, {}, 'pages');
    const stopPool = metrics.observePool(pool);
    const stopQueue = metrics.observeQueue(queue);
    await pool.start();
    const first = await queue.add('page', {});
    await queue.waitForResult(first.id, { timeout: 10_000 });
    await until(
      async () => (await registry.metrics()).includes('jobs_completed_total{'),
      'a count',
    );
    stopPool();
    stopQueue();
    const second = await queue.add('page', {});
    await queue.waitForResult(second.id, { timeout: 10_000 });
    await sleep(100);
    const samples = parseMetrics(await registry.metrics());
    expect(sampleValue(samples, 'worker_pool_jobs_completed_total', page)).toBe(1);
    expect(sampleValue(samples, 'worker_pool_queue_pools', { queue: 'pages' })).toBeUndefined();
  });

  it('counts the groups ready, limited and set aside, with no label per group', async () => {
    const registry = new Registry();
    const metrics = new WorkerPoolMetrics({ registry });
    const queue = h.queue<Jobs>('pages');
    const pool = h.pool<Jobs>(
      { page: async () => 'ok', cover: async () => 'c' },
      { group: { limiter: { max: 1, duration: 600_000 } } },
      'pages',
    );
    metrics.observeQueue(queue);
    const groups = async () => {
      const samples = parseMetrics(await registry.metrics()).filter(
        (s) => s.name === 'worker_pool_queue_groups',
      );
      return Object.fromEntries(samples.map((s) => [s.labels.state, s.value]));
    };
    // Nothing claims while the queue is paused: both groups stay ready, taking turns.
    await queue.pause();
    await queue.add('page', {}, { group: 'user-1' });
    await queue.add('page', {}, { group: 'user-1' });
    await queue.add('page', {}, { group: 'user-2' });
    await queue.add('page', {}); // no group: not counted
    expect(await groups()).toEqual({ ready: 2, limited: 0, set_aside: 0 });
    // user-1 runs one job, then waits for its limiter; user-2 is paused and set aside.
    await queue.pauseGroup('user-2');
    await pool.start();
    await queue.resume();
    await until(async () => {
      const g = await groups();
      return g.ready === 0 && g.limited === 1 && g.set_aside === 1;
    }, 'user-1 limited and user-2 set aside');
    expect(await queue.getGroupTotals()).toEqual({ ready: 0, limited: 1, setAside: 1 });
    await queue.resumeGroup('user-2');
    await until(async () => (await groups()).set_aside === 0, 'user-2 to run');
    expect(await groups()).toEqual({ ready: 0, limited: 1, set_aside: 0 });
  });

  it('uses its own metric name prefix and buckets when given', async () => {
    const registry = new Registry();
    new WorkerPoolMetrics({ registry, prefix: 'ebooks_', runTimeBuckets: [1, 10] });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE ebooks_jobs_completed_total counter');
    expect(text).toContain('# TYPE ebooks_job_run_seconds histogram');
    expect(text).not.toContain('worker_pool_');
  });

  it('refuses bad options with the usual message shape', () => {
    expect(() => new WorkerPoolMetrics({ prefix: 'has space' })).toThrow(
      new OptionRangeError(
        'Expected `prefix` to be a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got `has space` (string)',
        'prefix',
      ),
    );
    expect(() => new WorkerPoolMetrics({ runTimeBuckets: [5, 1] })).toThrow(RangeError);
    expect(() => new WorkerPoolMetrics({ collectTimeout: 0 })).toThrow(RangeError);
    expect(() => new WorkerPoolMetrics({ registry: {} as Registry })).toThrow(TypeError);
    expect(
      () =>
        new WorkerPoolMetrics({ regsitry: new Registry() } as unknown as { registry: Registry }),
    ).toThrow(/Unknown option `regsitry`/);
  });

  it('cannot register its metrics twice in one registry: observe many pools with one instance', () => {
    const registry = new Registry();
    new WorkerPoolMetrics({ registry });
    expect(() => new WorkerPoolMetrics({ registry })).toThrow(/already been registered/);
  });
});
