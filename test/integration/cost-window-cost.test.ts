// Invariant 13: pools without a cost window, and jobs without a cost, pay nothing for
// cost windows. Counted in Redis's own command statistics (commands a script runs are
// counted there too), on a server of this test's own so nobody else's commands mix in.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool, type JobOptions, type LimiterWindow } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { uniquePrefix, until } from '../support/redis.js';

/** Calls per command since the last reset, read from INFO commandstats. */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(/cmdstat_(\S+):calls=(\d+)/g))
    calls.set(match[1]!, Number(match[2]));
  return calls;
}

describe('the cost of cost windows', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });

  /** Run `total` jobs with `opts` through one pool with `limiter`: the commands Redis ran, and the keys left. */
  async function run(
    total: number,
    limiter: LimiterWindow[] | undefined,
    opts: JobOptions | undefined,
  ) {
    const prefix = uniquePrefix('cw');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const pool = new WorkerPool('q', async () => 'ok', {
      connection: server.url,
      prefix,
      concurrency: 10,
      logger: false,
      statsInterval: 0,
      ...(limiter ? { limiter } : {}),
    });
    let completed = 0;
    pool.on('completed', () => completed++);
    try {
      await pool.start();
      await redis.config('RESETSTAT');
      const jobs = await queue.addBulk(
        Array.from({ length: total }, (_, i) => ({ name: 'page', data: { i }, opts })),
      );
      await until(() => completed === total, 'every job to complete');
      const calls = await commandCalls(redis);
      const costKeys = await redis.keys(`${prefix}:*cost:*`);
      const fields = await redis.hkeys(`${prefix}:{q}:job:${jobs[0]!.id}`);
      return { calls, costKeys, fields };
    } finally {
      await pool.close();
      await queue.close();
    }
  }

  it('a pool without a cost window reads and writes nothing for costs; one with a window does', async () => {
    const total = 300;
    const plain = await run(total, undefined, undefined);
    expect(plain.calls.get('hgetall')).toBeUndefined();
    expect(plain.costKeys).toEqual([]);
    expect(plain.fields).not.toContain('cu');
    expect(plain.fields).not.toContain('ct');
    // A job with a cost, run by a pool without a cost window: stored, never charged.
    const costedOnly = await run(total, [{ max: 1_000_000, duration: 60_000 }], { cost: 5 });
    expect(costedOnly.calls.get('hgetall')).toBeUndefined();
    expect(costedOnly.costKeys).toEqual([]);
    expect(costedOnly.fields).toContain('cu');
    expect(costedOnly.fields).not.toContain('ct');
    // The default cost (1) is stored as nothing, even for a pool with a cost window.
    const windowed = await run(total, [{ max: 1_000_000, duration: 60_000, by: 'cost' }], {});
    expect(windowed.calls.get('hgetall')).toBeGreaterThan(0);
    expect(windowed.costKeys).toHaveLength(1);
    expect(windowed.fields).not.toContain('cu');
    expect(windowed.fields).toContain('ct');
    expect(
      Number(
        await redis.hget(windowed.costKeys[0]!, (await redis.hkeys(windowed.costKeys[0]!))[0]!),
      ),
    ).toBeGreaterThan(0);
  });
});
