import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OptionTypeError, Queue, WorkerPool } from '../../src/index.js';
import { rawClient, uniquePrefix } from '../support/redis.js';
import { hasRedisServer, startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * A Queue or WorkerPool given no `connection` goes where the CLI and
 * optionsFromEnv() go: REDIS_URL, else REDIS_PUBLIC_URL, else 127.0.0.1:6379.
 * A Redis of its own on a free port, so reaching it proves the variable was read.
 */
describe.skipIf(!hasRedisServer())('a Queue or WorkerPool without `connection`', () => {
  let server: RedisServer;
  const saved = {
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PUBLIC_URL: process.env.REDIS_PUBLIC_URL,
  };
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function runOneJob(prefix: string) {
    const queue = new Queue('pages', { prefix, logger: false });
    const pool = new WorkerPool('pages', async () => 'done', { prefix, logger: false });
    closers.push(
      () => queue.close(),
      () => pool.close(),
    );
    await pool.start();
    const job = await queue.add('page', { n: 1 });
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('done');
    // On this server, not on 127.0.0.1:6379.
    const direct = rawClient(server.url);
    closers.push(() => direct.quit());
    expect(await direct.keys(`${prefix}:*`)).not.toHaveLength(0);
  }

  it('uses REDIS_URL, read when it is constructed', async () => {
    delete process.env.REDIS_PUBLIC_URL;
    process.env.REDIS_URL = server.url;
    await runOneJob(uniquePrefix('env-url'));
  });

  it('uses REDIS_PUBLIC_URL when REDIS_URL is not set', async () => {
    delete process.env.REDIS_URL;
    process.env.REDIS_PUBLIC_URL = server.url;
    await runOneJob(uniquePrefix('env-public'));
  });

  it('refuses a bad REDIS_URL at construction, naming the variable and not its value', () => {
    process.env.REDIS_URL = 'http://admin:hunter2@example.com';
    let error: unknown;
    try {
      new Queue('pages', { logger: false });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(OptionTypeError);
    expect((error as Error).message).toContain('`REDIS_URL`');
    expect((error as Error).message).not.toContain('hunter2');
  });
});
