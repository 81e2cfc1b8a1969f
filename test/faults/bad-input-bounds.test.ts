// Integer options need an upper bound, not only a lower one. Found by the table in
// bad-input.test.ts (these were bugs):
// 1. `addBatch(jobs, { ttl })`: a huge ttl reached the move script's EXPIRE as "1e+20",
//    which Redis refuses: the whole script failed, and the pool that finished the batch
//    retried the same call forever. ttl is now at most ten years.
// 2. `pool.close({ gracePeriod })` had no maximum: 2 ** 31 went to setTimeout, which
//    Node clamps to 1 ms, so running jobs were handed back at once. It is now bounded
//    like the pool option of the same name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionRangeError, Queue, WorkerPool } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, uniquePrefix } from '../support/redis.js';

describe('integer options without an upper bound', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const setup = (handler: () => unknown) => {
    const prefix = uniquePrefix('bounds');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const pool = new WorkerPool('q', handler as never, {
      connection: server.url,
      prefix,
      logger: false,
      statsInterval: 0,
    });
    return { queue, pool };
  };

  it('refuses a batch ttl Redis cannot store', async () => {
    const { queue, pool } = setup(() => 'ok');
    try {
      // Observed: resolves.
      await expect(queue.addBatch([{ name: 'page', data: {} }], { ttl: 1e20 })).rejects.toThrow(
        OptionRangeError,
      );
    } finally {
      await pool.close();
      await queue.close();
    }
  });

  it('does not jam the pool that finishes a batch with a huge ttl', async () => {
    // The largest ttl validation accepts, so the pool's move script really runs the
    // EXPIRE of a finished batch with it (1e20, the value that jammed, is refused above).
    const tenYears = 10 * 365 * 24 * 3600;
    const { queue, pool } = setup(() => 'ok');
    const raw = rawClient(server.url);
    try {
      await expect(
        queue.addBatch([{ name: 'page', data: {} }], { ttl: tenYears + 1 }),
      ).rejects.toThrow(OptionRangeError);
      await pool.start();
      const batch = await queue.addBatch(
        [
          { name: 'page', data: {} },
          { name: 'page', data: {} },
        ],
        { ttl: tenYears },
      );
      // Observed before the bound: WaitTimeoutError; the pool logs "ERR value is not an
      // integer or out of range" and retries the same call forever.
      const result = await queue.waitForBatch(batch.id, { timeout: 5000 });
      expect(result).toMatchObject({ total: 2, completed: 2, failed: 0, done: true });
      expect(result.items.map((item) => item.state)).toEqual(['completed', 'completed']);

      // The finished batch got the ttl asked for: find its key without knowing the layout.
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await raw.scan(cursor, 'MATCH', `*${batch.id}*`, 'COUNT', 1000);
        keys.push(...found);
        cursor = next;
      } while (cursor !== '0');
      const ttls = await Promise.all(keys.map((key) => raw.ttl(key)));
      expect(Math.max(...ttls)).toBeGreaterThan(tenYears - 60);

      // And the pool keeps going.
      const next = await queue.add('page', {});
      expect(await queue.waitForResult(next.id, { timeout: 5000 })).toBe('ok');
    } finally {
      await pool.close({ force: true });
      await queue.close();
      await raw.quit();
    }
  }, 30_000);

  it('refuses a close() grace period setTimeout cannot wait, like the pool option', async () => {
    const { queue, pool } = setup(() => 'ok');
    try {
      // Observed: accepted.
      expect(() => pool.close({ gracePeriod: 2 ** 31 })).toThrow(
        'Expected `gracePeriod` to be an integer from 0 to 2147483647, got `2147483648` (number)',
      );
    } finally {
      await pool.close();
      await queue.close();
    }
  });
});
