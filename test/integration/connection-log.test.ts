import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool } from '../../src/index.js';
import { memoryLogger, sleep, until } from '../support/redis.js';
import { hasRedisServer, startRedisServer, type RedisServer } from '../support/redis-server.js';

// A Redis of its own: the test kills and restarts it.
describe.skipIf(!hasRedisServer())('a Redis outage in the logs', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is one error line and one restored line per pool and per queue, not per connection', async () => {
    const logger = memoryLogger();
    const errors: string[] = [];
    const pool = new WorkerPool('pages', async () => 'ok', {
      connection: server.url,
      logger,
      statsInterval: 0,
      pollInterval: 100,
    });
    pool.on('error', ({ context }) => errors.push(context));
    const queue = new Queue('pages', { connection: server.url, logger });
    try {
      await pool.start();
      const job = await queue.add('page', {});
      // The queue's subscriber connection too.
      expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('ok');
      await server.kill();
      await sleep(1500); // several reconnection attempts of every connection
      await server.restart();
      await until(
        () => logger.lines.filter((l) => l.includes('connection restored')).length >= 2,
        'both to reconnect',
        20_000,
      );
      await sleep(500);
      const count = (text: string) => logger.lines.filter((l) => l.includes(text)).length;
      expect(count('[Worker Pool] Redis connection error')).toBe(1);
      expect(count('[Worker Pool] Redis connection restored.')).toBe(1);
      expect(count('[Queue] Redis connection error')).toBe(1);
      expect(count('[Queue] Redis connection restored.')).toBe(1);
      expect(errors).toEqual(['Redis connection']);
    } finally {
      await pool.close({ force: true });
      await queue.close();
    }
  }, 60_000);
});
