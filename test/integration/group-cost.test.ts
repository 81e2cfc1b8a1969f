// Invariant 13: jobs with no group pay nothing for groups. Counted in Redis's own
// command statistics (commands a script runs are counted there too), on a server
// of this test's own so nobody else's commands mix in.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool, type JobOptions } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { uniquePrefix, until } from '../support/redis.js';

/** Calls per command since the last reset, read from INFO commandstats. */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(/cmdstat_(\S+):calls=(\d+)/g))
    calls.set(match[1]!, Number(match[2]));
  return calls;
}

describe('the cost of groups', () => {
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

  /** Run `total` jobs with `opts(i)` through one pool; the commands Redis ran, per job. */
  async function run(
    total: number,
    opts: (i: number) => JobOptions | undefined,
    prefix = uniquePrefix('cost'),
  ) {
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const pool = new WorkerPool('q', async () => 'ok', {
      connection: server.url,
      prefix,
      concurrency: 10,
      logger: false,
      statsInterval: 0,
    });
    let completed = 0;
    pool.on('completed', () => completed++);
    try {
      await pool.start();
      await redis.config('RESETSTAT');
      await queue.addBulk(
        Array.from({ length: total }, (_, i) => ({ name: 'page', data: { i }, opts: opts(i) })),
      );
      await until(() => completed === total, 'every job to complete');
      const calls = await commandCalls(redis);
      return calls;
    } finally {
      await pool.close();
      await queue.close();
    }
  }

  it('jobs with no group run no group command, while groups take their turns with a few per job', async () => {
    const total = 500;
    const plain = await run(total, () => undefined);
    for (const command of ['lmove', 'lpop', 'hsetnx']) expect(plain.get(command)).toBeUndefined();
    const grouped = await run(total, (i) => ({ group: `user-${i % 100}` }));
    expect(grouped.get('lmove')).toBeGreaterThanOrEqual(total);
    const perJob = (calls: Map<string, number>) => {
      let sum = 0;
      for (const [command, n] of calls)
        if (!['info', 'config', 'bzpopmin'].includes(command)) sum += n;
      return sum / total;
    };
    console.log(
      `[group cost] Redis commands per job: no group ${perJob(plain).toFixed(1)}, 100 groups ${perJob(grouped).toFixed(1)}`,
    );
  });

  it('a queue whose grouped jobs are gone costs its jobs with no group nothing more', async () => {
    const total = 300;
    // Kept 10 at a time: each call trims finished jobs, where a job's group is looked up.
    const plain = (): JobOptions => ({ removeOnComplete: { count: 10 } });
    const fresh = await run(total, plain);
    const prefix = uniquePrefix('cost');
    await run(100, (i) => ({ group: `user-${i % 10}`, removeOnComplete: true }), prefix);
    const after = await run(total, plain, prefix);
    // No lookup of a job's group (HGET) and no turn in a ring (LMOVE), as in a fresh queue.
    expect(after.get('hget') ?? 0).toBe(fresh.get('hget') ?? 0);
    expect(after.get('lmove')).toBeUndefined();
    // HINCRBY also counts finished jobs in the per-minute counters (once per claim call
    // that finished any) and numbers added jobs (once per add call): at most one per
    // script call, however many calls a run takes. A group's bookkeeping would take at
    // least one more per job.
    const scriptCalls = (calls: Map<string, number>) =>
      (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0);
    expect(fresh.get('hincrby') ?? 0).toBeLessThanOrEqual(scriptCalls(fresh));
    expect(after.get('hincrby') ?? 0).toBeLessThanOrEqual(scriptCalls(after));
  });
});
