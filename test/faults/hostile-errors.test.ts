// A handler that throws an Error whose `name`, `message`, `code` or `stack` getter
// throws (or a Proxy around an Error whose traps throw) is handled like any other
// failure. It was not (a bug): reading those properties after the attempt threw
// outside any try/catch, an unhandled rejection that killed the process, or left
// the worker slot taken for good. coerceError() now replaces such an error with
// one that says so, and toStoredError() reads each property on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobFailedError, Queue, WorkerPool } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/redis.js';

function errorWithThrowingGetter(property: 'name' | 'message' | 'code' | 'stack'): Error {
  const error = new Error('upstream failed');
  Object.defineProperty(error, property, {
    get() {
      throw new Error(`${property} getter threw`);
    },
  });
  return error;
}

describe('handlers that throw hostile errors', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(['name', 'message', 'code', 'stack', 'proxy'] as const)(
    'fails the job with a readable error when the thrown error has a throwing %s, and keeps working',
    async (kind) => {
      const prefix = uniquePrefix('hostile');
      const queue = new Queue('q', { connection: server.url, prefix, logger: false });
      const pool = new WorkerPool(
        'q',
        async (job) => {
          if (job.data.fine) return 'fine';
          if (kind === 'proxy') {
            throw new Proxy(new Error('p'), {
              get() {
                throw new Error('proxy trap threw');
              },
            });
          }
          throw errorWithThrowingGetter(kind);
        },
        {
          connection: server.url,
          prefix,
          concurrency: 1,
          attempts: 1,
          leaseDuration: 60_000,
          logger: false,
          statsInterval: 0,
        },
      );
      try {
        await pool.start();
        const bad = await queue.add('page', { fine: false });
        // Observed: an unhandled rejection, and the job stays active (WaitTimeoutError here).
        await expect(queue.waitForResult(bad.id, { timeout: 10_000 })).rejects.toThrow(
          JobFailedError,
        );
        const good = await queue.add('page', { fine: true });
        expect(await queue.waitForResult(good.id, { timeout: 10_000 })).toBe('fine');
      } finally {
        await pool.close({ force: true });
        await queue.close();
      }
    },
    30_000,
  );
});
