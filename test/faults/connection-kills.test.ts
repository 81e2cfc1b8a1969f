import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { poolFleet } from '../support/pool-processes.js';
import { checkInvariants } from '../support/invariants.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, sleep, uniquePrefix, until } from '../support/redis.js';

describe('connections killed by CLIENT KILL in a loop', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loses nothing and leaves nothing stuck while every client connection is killed again and again', async () => {
    const prefix = uniquePrefix('kills');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const fleet = poolFleet({
      url: server.url,
      prefix,
      concurrency: 4,
      leaseDuration: 2000,
      pollInterval: 500,
    });
    const admin = rawClient(server.url);
    try {
      for (const tag of ['a', 'b', 'c']) await fleet.start({ tag });

      // The killer: every client but itself, plain connections and pub/sub ones alike.
      let killing = true;
      let kills = 0;
      const killer = (async () => {
        while (killing) {
          await sleep(150 + randomInt(200));
          const type = randomInt(4) === 0 ? 'pubsub' : 'normal';
          kills += Number(
            await admin.call('CLIENT', 'KILL', 'TYPE', type, 'SKIPME', 'yes').catch(() => 0),
          );
        }
      })();

      // The producer adds in small bulks while connections die; jobIds make a retried add harmless.
      const total = 500;
      const ids: string[] = [];
      const waits: Promise<unknown>[] = [];
      for (let i = 0; i < total; i += 10) {
        const chunk = Array.from({ length: 10 }, (_, k) => ({
          name: 'page',
          data: { ms: 10 + randomInt(50) },
          opts: { jobId: `job-${i + k}`, attempts: 20, removeOnComplete: false },
        }));
        for (;;) {
          try {
            await queue.addBulk(chunk);
            break;
          } catch {
            await sleep(50);
          }
        }
        ids.push(...chunk.map((c) => c.opts.jobId));
        // Some producers wait for results through pub/sub, whose connection is killed too.
        if (i % 50 === 0) waits.push(queue.waitForResult(`job-${i}`, { timeout: 90_000 }));
        await sleep(40);
      }
      await until(
        async () => {
          const c = await queue.getCounts();
          return c.completed + c.failed === total;
        },
        'every job to finish under connection kills',
        90_000,
      );
      killing = false;
      await killer;
      expect(kills).toBeGreaterThan(20);
      // A wait whose pub/sub connection was killed still resolves (it re-checks on reconnection).
      const results = await Promise.all(waits);
      expect(results).toHaveLength(total / 50);

      const report = await checkInvariants(queue, ids, fleet.events);
      expect(report.problems).toEqual([]);
      expect(report.completed).toBe(total);
      // Every pool is still alive and working once the killing stops.
      for (const pool of fleet.pools) expect(pool.alive).toBe(true);
      const more = await queue.addBulk(
        Array.from({ length: 24 }, () => ({
          name: 'page',
          data: { ms: 300 },
          opts: { removeOnComplete: false },
        })),
      );
      await Promise.all(more.map((j) => queue.waitForResult(j.id, { timeout: 30_000 })));
      const after = await checkInvariants(queue, [...ids, ...more.map((j) => j.id)], fleet.events);
      expect(after.problems).toEqual([]);
      console.log(
        `[connection kills] ${total} jobs, ${kills} connections killed: ${report.stalled} stalled, ` +
          `${report.ranMoreThanOnce} ran more than once, ${report.leaseLost} late reports refused`,
      );
    } finally {
      await admin.quit().catch(() => admin.disconnect());
      await fleet.stopAll();
      await queue.close();
    }
  }, 150_000);
});
