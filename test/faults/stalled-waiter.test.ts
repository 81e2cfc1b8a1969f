import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool } from '../../src/index.js';
import { spawnChild, type ChildMessage } from '../support/pool-processes.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { uniquePrefix, until } from '../support/redis.js';

const WAITER_PROCESS = join(import.meta.dirname, '..', 'fixtures', 'waiter-process.mjs');

interface WaiterMessage extends ChildMessage {
  outcomes?: { n?: number; size?: number; error?: string }[];
}

// Issue 15, suspected: a waiter that falls behind under load (its process
// stalled: a long GC, a busy event loop) had its pub/sub connection dropped by
// Redis for its output buffer, and the outcomes of jobs removed as they
// finished went with it. Here the waiting process is stopped (SIGSTOP) while
// 300 such jobs with 20 KB results finish, on a Redis whose pub/sub output
// limit is small enough to drop it.
describe('a waiting process that stalls under load', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer({
      args: ['--client-output-buffer-limit', 'pubsub 64kb 32kb 1'],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gets every outcome of jobs removed as they finished once it runs again', async () => {
    const prefix = uniquePrefix('stalled');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const page = 'p'.repeat(20_000);
    let completed = 0;
    const pool = new WorkerPool('q', async (job) => ({ page, n: (job.data as { n: number }).n }), {
      connection: server.url,
      prefix,
      logger: false,
      concurrency: 20,
      statsInterval: 0,
    });
    pool.on('completed', () => completed++);
    try {
      const jobs = await queue.addBulk(
        Array.from({ length: 300 }, (_, n) => ({
          name: 'page',
          data: { n },
          opts: { removeOnComplete: true },
        })),
      );
      const waiter = spawnChild<WaiterMessage>(WAITER_PROCESS, {
        url: server.url,
        prefix,
        ids: jobs.map((job) => job.id),
      });
      try {
        await waiter.next('ready', 20_000);
        waiter.child.kill('SIGSTOP');
        await pool.start();
        await until(() => completed === 300, 'every job to complete', 30_000);
        waiter.child.kill('SIGCONT');
        const { outcomes = [] } = await waiter.next('settled', 60_000);
        expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);
        expect(outcomes.map((o) => o.n)).toEqual(jobs.map((_, n) => n));
        // Each whole result came back, its 20 KB page included.
        expect(outcomes.filter((o) => (o.size ?? 0) <= page.length)).toEqual([]);
        expect(await waiter.exited).toBe(0);
      } finally {
        await waiter.kill();
      }
    } finally {
      await pool.close({ force: true });
      await queue.close();
    }
  }, 90_000);
});
