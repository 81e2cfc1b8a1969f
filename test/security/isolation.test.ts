import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WaitTimeoutError, WorkerPool } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient } from '../support/redis.js';

describe('queues with different prefixes on one Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('never see each other’s jobs, results, events, pause flags or keys', async () => {
    // Two apps with the same queue name under their own prefixes, and a second queue of app A.
    const tenants = [
      { owner: 'A', prefix: 'appA', name: 'pages' },
      { owner: 'B', prefix: 'appB', name: 'pages' },
      { owner: 'C', prefix: 'appA', name: 'other' },
    ];
    const seen = new Map<string, string[]>(tenants.map((t) => [t.owner, []]));
    const setups = tenants.map((t) => {
      const queue = new Queue(t.name, { connection: server.url, prefix: t.prefix, logger: false });
      const pool = new WorkerPool(
        t.name,
        async (job) => {
          seen.get(t.owner)!.push(String(job.data.owner));
          return { ranBy: t.owner, data: job.data };
        },
        { connection: server.url, prefix: t.prefix, logger: false, statsInterval: 0 },
      );
      return { ...t, queue, pool };
    });
    try {
      await Promise.all(setups.map((s) => s.pool.start()));
      // The same job ids ('1'...'20') exist in every queue.
      const added = await Promise.all(
        setups.map((s) =>
          s.queue.addBulk(
            Array.from({ length: 20 }, (_, i) => ({ name: 'page', data: { owner: s.owner, i } })),
          ),
        ),
      );
      for (const [k, s] of setups.entries()) {
        expect(added[k]!.map((j) => j.id)).toEqual(
          Array.from({ length: 20 }, (_, i) => `${i + 1}`),
        );
        for (const job of added[k]!) {
          expect(await s.queue.waitForResult(job.id, { timeout: 10_000 })).toEqual({
            ranBy: s.owner,
            data: job.data,
          });
        }
      }
      for (const s of setups) {
        expect(seen.get(s.owner)).toHaveLength(20);
        expect(new Set(seen.get(s.owner))).toEqual(new Set([s.owner]));
        expect((await s.queue.getJob('7'))?.data).toEqual({ owner: s.owner, i: 6 });
        expect(await s.queue.getCounts()).toMatchObject({ completed: 20, waiting: 0 });
      }

      // Pausing app A's queue pauses neither app B's queue of the same name nor A's other queue.
      const [a, b, c] = setups as [(typeof setups)[0], (typeof setups)[0], (typeof setups)[0]];
      await a.queue.pause();
      const [held, ranB, ranC] = await Promise.all([
        a.queue.add('page', { owner: 'A', late: true }),
        b.queue.add('page', { owner: 'B', late: true }),
        c.queue.add('page', { owner: 'C', late: true }),
      ]);
      expect([held.id, ranB.id, ranC.id]).toEqual(['21', '21', '21']);
      await b.queue.waitForResult(ranB.id, { timeout: 10_000 });
      await c.queue.waitForResult(ranC.id, { timeout: 10_000 });
      expect(await b.queue.isPaused()).toBe(false);
      // B's job 21 finishing is not news to a waiter on A's job 21: events stay in their channel.
      await expect(a.queue.waitForResult(held.id, { timeout: 500 })).rejects.toThrow(
        WaitTimeoutError,
      );
      expect((await a.queue.getJob(held.id))?.state).toBe('waiting');
      await a.queue.resume();
      await a.queue.waitForResult(held.id, { timeout: 10_000 });

      // Removing and retrying by id touches only the queue asked.
      await b.queue.removeJob('3');
      expect(await b.queue.getJob('3')).toBeNull();
      expect((await a.queue.getJob('3'))?.state).toBe('completed');
      expect((await c.queue.getJob('3'))?.state).toBe('completed');

      // Every key lives under its own prefix and queue tag; nothing else was written.
      const redis = rawClient(server.url);
      const keys = await redis.keys('*');
      await redis.quit();
      expect(keys.length).toBeGreaterThan(0);
      const outside = keys.filter(
        (k) =>
          !k.startsWith('appA:{pages}:') &&
          !k.startsWith('appB:{pages}:') &&
          !k.startsWith('appA:{other}:'),
      );
      expect(outside).toEqual([]);
    } finally {
      await Promise.all(setups.map((s) => s.pool.close()));
      await Promise.all(setups.map((s) => s.queue.close()));
    }
  }, 60_000);
});
