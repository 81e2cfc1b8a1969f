import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WorkerPoolMetrics } from '../../src/metrics.js';
import { runCli } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import { parseMetrics, sampleValue } from '../support/prometheus.js';
import { redisUrl, sleep, until } from '../support/redis.js';

describe('queue lag', () => {
  const h = useHarness('lag');

  it('is the age of the oldest waiting job, with the waiting count, in getMetrics(), status --json and /metrics', async () => {
    const queue = h.queue('pages');
    expect(await queue.getMetrics(1)).toMatchObject({ waiting: 0, oldestWaitingAgeMs: 0 });
    const before = Date.now();
    await queue.add('page', {});
    await queue.add('page', {});
    await sleep(400);
    const metrics = await queue.getMetrics(1);
    expect(metrics.waiting).toBe(2);
    expect(metrics.oldestWaitingAgeMs).toBeGreaterThanOrEqual(350);
    expect(metrics.oldestWaitingAgeMs).toBeLessThanOrEqual(Date.now() - before + 100);

    const args = ['--queue', 'pages', '--prefix', h.prefix, '--redis-url', redisUrl()];
    const json = JSON.parse((await runCli(['status', '--json', ...args])).stdout);
    expect(json.counts.waiting).toBe(2);
    expect(json.oldestWaitingAgeMs).toBeGreaterThanOrEqual(metrics.oldestWaitingAgeMs);
    const text = await runCli(['status', ...args]);
    expect(text.stdout).toMatch(/Lag {10}oldest waiting job ready for \d/);

    const registry = new Registry();
    new WorkerPoolMetrics({ registry }).observeQueue(queue);
    const samples = parseMetrics(await registry.metrics());
    const lag = sampleValue(samples, 'worker_pool_queue_lag_seconds', { queue: 'pages' });
    expect(lag).toBeGreaterThanOrEqual(metrics.oldestWaitingAgeMs / 1000);
    expect(lag).toBeLessThan(60);
    expect(sampleValue(samples, 'worker_pool_queue_paused', { queue: 'pages' })).toBe(0);
    expect(
      sampleValue(samples, 'worker_pool_queue_jobs', { queue: 'pages', state: 'waiting' }),
    ).toBe(2);

    await queue.pause();
    const paused = parseMetrics(await registry.metrics());
    expect(sampleValue(paused, 'worker_pool_queue_paused', { queue: 'pages' })).toBe(1);
    await queue.resume();

    // Drained: no lag, not the age of a job long gone.
    const pool = h.pool({ page: async () => 'ok' }, {}, 'pages');
    await pool.start();
    await until(async () => (await queue.getCounts()).completed === 2, 'the jobs to run');
    expect(await queue.getMetrics(1)).toMatchObject({ waiting: 0, oldestWaitingAgeMs: 0 });
    const after = parseMetrics(await registry.metrics());
    expect(sampleValue(after, 'worker_pool_queue_lag_seconds', { queue: 'pages' })).toBe(0);
  });

  it('counts a delayed job from when it became due, not from when it was added', async () => {
    const queue = h.queue();
    const pool = h.pool({ page: async () => 'ok' }, { pollInterval: 100 });
    // Paused: the pool still promotes due jobs to waiting, and starts none.
    await queue.pause();
    await pool.start();
    const job = await queue.add('page', {}, { delay: 1500 });
    expect((await queue.getMetrics(1)).waiting).toBe(0);
    await until(async () => (await queue.getCounts()).waiting === 1, 'the job to be promoted');
    const { createdAt } = (await queue.getJob(job.id))!;
    const { oldestWaitingAgeMs } = await queue.getMetrics(1);
    // Since it was added: at least 1.5 s. Since it became due: much less.
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(1400);
    expect(oldestWaitingAgeMs).toBeLessThan(Date.now() - createdAt - 1000);
  });

  it('counts a retry from when its backoff ended, not from when the job was added', async () => {
    const queue = h.queue();
    let runs = 0;
    const pool = h.pool(
      {
        page: async () => {
          runs++;
          if (runs === 1) {
            // Nothing more starts: the retry waits once its backoff is over.
            await queue.pause();
            await sleep(800);
            throw new Error('flaky');
          }
          return 'ok';
        },
      },
      { pollInterval: 100, backoff: { type: 'fixed', delay: 1000, jitter: 0 } },
    );
    await pool.start();
    const job = await queue.add('page', {});
    await until(async () => (await queue.getCounts()).delayed === 1, 'the retry to be scheduled');
    await until(async () => (await queue.getCounts()).waiting === 1, 'the retry to be due');
    const { createdAt, attempts } = (await queue.getJob(job.id))!;
    expect(attempts).toBe(1);
    const { oldestWaitingAgeMs } = await queue.getMetrics(1);
    // The job is at least 1.8 s old (0.8 s run, 1 s backoff); it has waited far less.
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(1700);
    expect(oldestWaitingAgeMs).toBeLessThan(Date.now() - createdAt - 1200);
    await queue.resume();
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('ok');
  });
});
