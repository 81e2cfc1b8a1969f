import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { fixture, startCli, type CliProcess } from '../support/cli.js';
import { parseMetrics, sampleValue, type Sample } from '../support/prometheus.js';
import { uniquePrefix, until } from '../support/redis.js';
import { hasRedisServer, startRedisServer, type RedisServer } from '../support/redis-server.js';

// A Redis of its own: the test stops it to see /healthz and the gauges react.
describe.skipIf(!hasRedisServer())('worker-pool run --metrics-port', () => {
  let redis: RedisServer;
  let pool: CliProcess | undefined;
  let queue: Queue | undefined;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await pool?.stop('SIGKILL').catch(() => {});
    await queue?.close();
    await redis?.stop();
  });

  async function get(port: number, path: string) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, text: await response.text() };
  }

  it('serves the metrics of known work, /healthz while Redis answers, and 503 once it does not', async () => {
    const prefix = uniquePrefix('cli-metrics');
    queue = new Queue('pages', { connection: redis.url, prefix, logger: false });
    pool = startCli(
      [
        'run',
        '--handler',
        fixture('handlers.mjs'),
        '--prefix',
        prefix,
        '--concurrency',
        '3',
        '--processing-delay',
        '0',
        '--stats-interval',
        '0',
        '--metrics-port',
        '0',
        '--metrics-host',
        '127.0.0.1',
      ],
      { env: { REDIS_URL: redis.url } },
    );
    const [, port] = await pool.waitForOutput(
      /Metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics, health on \/healthz/,
      30_000,
    );
    const p = Number(port);

    expect(await get(p, '/healthz')).toEqual({
      status: 200,
      text: '{"status":"ok","pool":"running","redis":"ok"}\n',
    });
    expect((await get(p, '/nothing-here')).status).toBe(404);

    const added = await queue.addBulk([
      { name: 'page', data: { ms: 50 } },
      { name: 'page', data: { ms: 50 } },
      { name: 'page', data: { fail: true } },
      { name: 'page', data: { failAttempts: 1 } },
      { name: 'cover', data: {} },
    ]);
    await queue.add('page', {}, { delay: 600_000 });
    let samples: Sample[] = [];
    await until(
      async () => {
        samples = parseMetrics((await get(p, '/metrics')).text);
        return (
          sampleValue(samples, 'worker_pool_jobs_completed_total', { job_name: 'page' }) === 3 &&
          sampleValue(samples, 'worker_pool_jobs_failed_total', { job_name: 'page' }) === 1 &&
          sampleValue(samples, 'worker_pool_jobs_completed_total', { job_name: 'cover' }) === 1
        );
      },
      'the known work to be counted',
      30_000,
    );
    const page = { queue: 'pages', job_name: 'page' };
    // Two pages, and the one that failed once and was retried; 5 attempts started in all.
    expect(sampleValue(samples, 'worker_pool_jobs_retried_total', page)).toBe(1);
    expect(sampleValue(samples, 'worker_pool_job_run_seconds_count', page)).toBe(3);
    expect(sampleValue(samples, 'worker_pool_job_wait_seconds_count', page)).toBe(5);
    expect(sampleValue(samples, 'worker_pool_queue_jobs', { state: 'delayed' })).toBe(1);
    expect(sampleValue(samples, 'worker_pool_queue_jobs', { state: 'waiting' })).toBe(0);
    expect(sampleValue(samples, 'worker_pool_queue_pools', { queue: 'pages' })).toBe(1);
    expect(sampleValue(samples, 'worker_pool_queue_concurrency', { queue: 'pages' })).toBe(3);
    expect(sampleValue(samples, 'worker_pool_redis_up', { queue: 'pages' })).toBe(1);
    expect(added).toHaveLength(5);

    await redis.kill();
    let health = { status: 0, text: '' };
    await until(
      async () => {
        health = await get(p, '/healthz');
        return health.status === 503;
      },
      '/healthz to report Redis down',
      20_000,
    );
    expect(JSON.parse(health.text)).toMatchObject({ status: 'unavailable', pool: 'running' });
    expect(JSON.parse(health.text).redis).not.toBe('ok');
    // The example body in docs/metrics.md is the one a user sees.
    const docs = readFileSync(join(import.meta.dirname, '../../docs/metrics.md'), 'utf8');
    const example = /otherwise `503` with the\s+failing check, e\.g\. `(\{[^`]+\})`/.exec(
      docs,
    )?.[1];
    expect(example).toBe(health.text.trim());
    const down = parseMetrics((await get(p, '/metrics')).text);
    expect(sampleValue(down, 'worker_pool_redis_up', { queue: 'pages' })).toBe(0);
    expect(sampleValue(down, 'worker_pool_queue_jobs', { state: 'waiting' })).toBeUndefined();
    // The counters of this process are still there.
    expect(sampleValue(down, 'worker_pool_jobs_completed_total', page)).toBe(3);

    await redis.restart();
    await until(
      async () => (await get(p, '/healthz')).status === 200,
      '/healthz to recover with Redis',
      30_000,
    );
    const { code } = await pool.stop('SIGTERM');
    expect(code).toBe(0);
  }, 120_000);

  it('listens on 127.0.0.1 only unless --metrics-host says otherwise', async () => {
    const local = startCli(
      [
        'run',
        '--handler',
        fixture('handlers.mjs'),
        '--prefix',
        uniquePrefix('cli-metrics-host'),
        '--stats-interval',
        '0',
        '--metrics-port',
        '0',
      ],
      { env: { REDIS_URL: redis.url } },
    );
    try {
      const [, port] = await local.waitForOutput(/Metrics on http:\/\/([^/]+)\/metrics/, 30_000);
      expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
      const p = Number(port!.split(':')[1]);
      expect((await get(p, '/healthz')).status).toBe(200);
      // Any other address of this machine is refused.
      const other = Object.values(networkInterfaces())
        .flat()
        .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
      if (other !== undefined) {
        await expect(fetch(`http://${other}:${p}/healthz`)).rejects.toThrow();
      }
      const { code } = await local.stop('SIGTERM');
      expect(code).toBe(0);
    } finally {
      await local.stop('SIGKILL').catch(() => {});
    }
  }, 60_000);
});
