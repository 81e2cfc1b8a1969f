import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { poolFleet } from '../support/pool-processes.js';
import { checkInvariants } from '../support/invariants.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { sleep, uniquePrefix, until } from '../support/redis.js';

describe('Redis restart while pools and a producer work', () => {
  let server: RedisServer;
  beforeAll(async () => {
    // Every write on disk before it is acknowledged: a restart, even a SIGKILL, loses nothing acknowledged.
    server = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reconnects by itself, loses no job, and leaves no pool idle while work waits', async () => {
    const prefix = uniquePrefix('restart');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    // A long pollInterval: only Redis waking the blocked connection can start an idle pool quickly.
    const fleet = poolFleet({
      url: server.url,
      prefix,
      concurrency: 3,
      leaseDuration: 5000,
      pollInterval: 30_000,
    });
    try {
      const pools = [];
      for (const tag of ['a', 'b', 'c']) pools.push(await fleet.start({ tag }));

      // The producer adds jobs one by one through the restarts. A custom jobId makes add()
      // idempotent, so retrying an add whose reply was lost cannot create a second job.
      const total = 400;
      const ids: string[] = [];
      let addRetries = 0;
      let producing = true;
      const producer = (async () => {
        for (let i = 0; i < total; i++) {
          const jobId = `job-${i}`;
          for (;;) {
            try {
              await queue.add(
                'page',
                { ms: 20 + randomInt(80) },
                { jobId, attempts: 10, removeOnComplete: false },
              );
              break;
            } catch {
              addRetries++;
              await sleep(100);
            }
          }
          ids.push(jobId);
          await sleep(10);
        }
        producing = false;
      })();

      // A clean shutdown and restart, then a crash (SIGKILL) and restart, on the same port.
      const addedAtRestart: number[] = [];
      await sleep(1500);
      addedAtRestart.push(ids.length);
      await server.restart();
      await sleep(2000);
      addedAtRestart.push(ids.length);
      await server.kill();
      await sleep(300);
      await server.restart();
      await producer;
      // Both restarts happened while the producer was adding.
      for (const n of addedAtRestart) {
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThan(total);
      }
      expect(producing).toBe(false);

      await until(
        async () => {
          const c = await queue.getCounts();
          return c.completed + c.failed === total && c.active === 0;
        },
        'every job to finish after the restarts',
        60_000,
      );
      const report = await checkInvariants(queue, ids, fleet.events);
      expect(report.problems).toEqual([]);
      expect(report.completed).toBe(total);
      expect(fleet.events.filter((e) => e.type === 'error').length).toBeGreaterThan(0);

      // Now every pool is idle, blocked on Redis for up to 30 s. Work arrives: each pool must be
      // woken (its blocking connection re-armed after two restarts) and take a share at once.
      const since = fleet.events.length;
      const burst = await queue.addBulk(
        Array.from({ length: 18 }, () => ({
          name: 'page',
          data: { ms: 1500 },
          opts: { removeOnComplete: false },
        })),
      );
      const startedAt = Date.now();
      for (const pool of pools) {
        await fleet.waitFor(
          (e) => e.type === 'started' && e.pid === pool.pid && fleet.events.indexOf(e) >= since,
          `a job started by pool ${pool.tag} after the restarts`,
          15_000,
        );
      }
      expect(Date.now() - startedAt).toBeLessThan(15_000);
      await until(
        async () => (await queue.getCounts()).completed === total + burst.length,
        'the burst to complete',
        30_000,
      );
      const after = await checkInvariants(queue, [...ids, ...burst.map((j) => j.id)], fleet.events);
      expect(after.problems).toEqual([]);
      console.log(
        `[redis restart] ${total} jobs through 2 restarts: ${addRetries} add() retries, ` +
          `${report.stalled} stalled, ${report.ranMoreThanOnce} ran more than once, ${report.leaseLost} late reports refused`,
      );
    } finally {
      await fleet.stopAll();
      await queue.close();
    }
  }, 150_000);
});
