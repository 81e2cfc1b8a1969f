// Groups across processes: per-group limits hold over several pool processes,
// and a SIGKILLed pool cannot keep a group's slot once its lease is reclaimed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { poolFleet } from '../support/pool-processes.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, uniquePrefix, until } from '../support/redis.js';

describe('groups across processes', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('two processes share per-group concurrency and a per-group limiter', async () => {
    const prefix = uniquePrefix('groups-procs');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const group = { concurrency: 2, limiter: { max: 4, duration: 1000 } };
    // 2 slots each: the 4 the groups may use at once need both processes.
    const fleet = poolFleet({ url: server.url, prefix, concurrency: 2, group });
    const redis = rawClient(server.url);
    try {
      await Promise.all([fleet.start({ tag: 'p1' }), fleet.start({ tag: 'p2' })]);
      const jobs = await queue.addBulk(
        ['A', 'B'].flatMap((g) =>
          Array.from({ length: 10 }, () => ({
            name: 'page',
            data: { ms: 150, track: true },
            opts: { group: g },
          })),
        ),
      );
      for (const job of jobs) await queue.waitForResult(job.id, { timeout: 20_000 });
      const ran = new Set(fleet.events.filter((e) => e.type === 'completed').map((e) => e.pid));
      expect(ran.size).toBe(2);
      expect(await redis.hgetall(`${prefix}:peak`)).toEqual({ A: '2', B: '2' });
      for (const g of ['A', 'B']) {
        const starts = (await redis.lrange(`${prefix}:starts:${g}`, 0, -1)).map(Number);
        expect(starts).toHaveLength(10);
        // At most 4 starts of one group in any window of 1000 ms. The limiter counts claims;
        // a handler starts a little after its claim, by a delay that varies, hence the slack.
        for (let i = 4; i < starts.length; i++)
          expect(starts[i]! - starts[i - 4]!).toBeGreaterThanOrEqual(900);
        // Without the limiter the 10 jobs (2 at a time, 150 ms each) would start within ~750 ms.
        expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(1800);
      }
    } finally {
      await redis.quit();
      await fleet.stopAll();
      await queue.close();
    }
  }, 60_000);

  it("gives a group's last slot back when the SIGKILLed pool that held it loses its lease", async () => {
    const prefix = uniquePrefix('groups-kill');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const fleet = poolFleet({
      url: server.url,
      prefix,
      concurrency: 2,
      leaseDuration: 1000,
      pollInterval: 100,
      group: { concurrency: 1 },
    });
    try {
      const victim = await fleet.start({ tag: 'victim' });
      // Its first attempt hangs (the process dies in it); the retry is quick.
      const held = await queue.add(
        'page',
        { plan: [{ ms: 60_000 }, { ms: 5 }] },
        { group: 'g', attempts: 3 },
      );
      await fleet.waitFor((e) => e.type === 'started' && e.jobId === held.id, 'the first start');
      const next = await queue.add('page', { ms: 5 }, { group: 'g' });
      await victim.kill();
      expect(await queue.getGroupCounts('g')).toMatchObject({ active: 1, waiting: 1 });
      await fleet.start({ tag: 'heir' });
      expect(await queue.waitForResult(held.id, { timeout: 10_000 })).toMatchObject({
        tag: 'heir',
        attempt: 2,
      });
      expect(await queue.waitForResult(next.id, { timeout: 10_000 })).toMatchObject({
        tag: 'heir',
      });
      expect(fleet.events.some((e) => e.type === 'stalled' && e.jobId === held.id)).toBe(true);
      await until(
        async () => (await queue.getGroupCounts('g')).active === 0,
        "the group's slot to come back",
      );
      expect(await queue.getGroupCounts('g')).toMatchObject({ waiting: 0, completed: 2 });
    } finally {
      await fleet.stopAll();
      await queue.close();
    }
  }, 60_000);
});
