// When the connection drops after Redis ran the add script but before its reply
// arrived, ioredis sends the same EVALSHA again on the new connection. That ran
// the script twice (a bug): add() left two jobs for one call, and addBatch()
// rejected with "already exists" for a batch it had just created. Each add call
// now carries a token; a resent call returns the first run's reply.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, sleep, uniquePrefix } from '../support/redis.js';

describe('producers whose connection is killed mid-call', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Kill every client connection but the admin's, every 0-30 ms, while `work` runs. */
  async function underKills<T>(work: () => Promise<T>): Promise<{ value: T; kills: number }> {
    const admin = rawClient(server.url);
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        await sleep(randomInt(30));
        kills += Number(
          await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes').catch(() => 0),
        );
      }
    })();
    try {
      return { value: await work(), kills };
    } finally {
      killing = false;
      await killer;
      await admin.quit();
    }
  }

  it('creates exactly one job per add() call', async () => {
    const prefix = uniquePrefix('resend');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    try {
      const { value: ids, kills } = await underKills(async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3000; i++) ids.push((await queue.add('page', { i })).id);
        return ids;
      });
      expect(kills).toBeGreaterThan(10);
      const redis = rawClient(server.url);
      const seq = Number(await redis.hget(queueKeysOf(queue).meta, 'seq'));
      const waiting = await redis.llen(queueKeysOf(queue).wait);
      await redis.quit();
      // Observed: seq 3011 and 3011 jobs waiting for 3000 add() calls (74 kills).
      expect({ seq, waiting }).toEqual({ seq: ids.length, waiting: ids.length });
    } finally {
      await queue.close();
    }
  }, 120_000);

  it('resolves addBatch() for a batch it created, never "already exists"', async () => {
    const prefix = uniquePrefix('resend-batch');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    try {
      const { value } = await underKills(async () => {
        const failures: string[] = [];
        let created = 0;
        for (let i = 0; i < 600; i++) {
          try {
            await queue.addBatch(
              Array.from({ length: 5 }, (_, k) => ({ name: 'page', data: { k } })),
            );
            created++;
          } catch (error) {
            failures.push((error as Error).message);
          }
        }
        return { failures, created };
      });
      // Observed: 6 of 600 calls rejected with "Batch <id> already exists", each batch present in Redis.
      expect(value.failures).toEqual([]);
      expect(value.created).toBe(600);
    } finally {
      await queue.close();
    }
  }, 120_000);
});
