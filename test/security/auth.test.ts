import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool, WorkerPoolError, type WorkerPoolOptions } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { memoryLogger, rawClient, sleep } from '../support/redis.js';

const ADMIN_PASSWORD = 'admin-S3cret-pw';
const WORKER_PASSWORD = 'worker-S3cret-pw';
const WRONG_PASSWORD = 'wrong-S3cret-pw';
const SECRETS = [ADMIN_PASSWORD, WORKER_PASSWORD, WRONG_PASSWORD];

/** Every command the library's Lua scripts call: an ACL user must be allowed them all. */
function scriptCommands(): string[] {
  const dir = join(import.meta.dirname, '..', '..', 'src', 'redis', 'lua');
  const found = new Set<string>();
  // The scripts and the helpers they include.
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  for (const file of files.filter((f) => f.endsWith('.lua'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/redis\.call\('(\w+)'/g))
      found.add(m[1]!.toLowerCase());
  }
  return [...found];
}

/** What the library sends itself, besides its scripts (ioredis's handshake included). */
const CLIENT_COMMANDS = [
  'hello',
  'auth',
  'ping',
  'info',
  'select',
  'quit',
  'client|setname',
  'evalsha',
  'eval',
  'bzpopmin',
  'multi',
  'exec',
  'llen',
  'zcard',
  'hget',
  'hmget',
  'hgetall',
  'hset',
  'hexists',
  'hdel',
  'zadd',
  // Waits read the queue's events stream.
  'xread',
  // A pool hears of cancels, a follower of progress, on the queue's channels.
  'subscribe',
  'unsubscribe',
  // cancelBatch() reads the waiting jobs.
  'lrange',
  'smembers',
];

describe('a Redis with a password and an ACL user', () => {
  let server: RedisServer;
  let url: (user: string, password: string) => string;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--requirepass', ADMIN_PASSWORD] });
    url = (user, password) => `redis://${user}:${password}@127.0.0.1:${server.port}`;
    const admin = rawClient(url('default', ADMIN_PASSWORD));
    // Limited to one queue's keys and channels (prefix `rwp-acl`, queue `pages`).
    await admin.call(
      'ACL',
      'SETUSER',
      'worker',
      'on',
      `>${WORKER_PASSWORD}`,
      'resetkeys',
      '~rwp-acl:{pages}:*',
      'resetchannels',
      '&rwp-acl:{pages}:*',
      '-@all',
      ...[...CLIENT_COMMANDS, ...scriptCommands()].map((c) => `+${c}`),
    );
    await admin.quit();
  });
  afterAll(async () => {
    await server?.stop();
  });

  function setup(connection: string, name = 'pages', prefix = 'rwp-acl') {
    const logger = memoryLogger();
    const errors: string[] = [];
    const queue = new Queue(name, { connection, prefix, logger });
    const make = (options: WorkerPoolOptions = {}) => {
      const pool = new WorkerPool(
        name,
        async (job, { attempt }) => {
          if (job.data.failFirst && attempt === 1) throw new Error('flaky');
          await sleep(job.data.ms ?? 5);
          return { ok: job.id };
        },
        {
          connection,
          prefix,
          logger,
          statsInterval: 0,
          pollInterval: 200,
          backoff: { delay: 20, jitter: 0 },
          ...options,
        },
      );
      pool.on('error', ({ error, context }) => errors.push(`${context}: ${error.message}`));
      return pool;
    };
    const noSecrets = () => {
      const text = [...logger.lines, ...errors].join('\n');
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(text).not.toContain('redis://');
    };
    return { queue, make, logger, errors, noSecrets };
  }

  it('works with the right password, and never logs it or the URL', async () => {
    const { queue, make, errors, logger, noSecrets } = setup(
      url('default', ADMIN_PASSWORD),
      'plain',
      'rwp-auth',
    );
    const pool = make();
    try {
      await pool.start();
      const job = await queue.add('page', { ms: 5 });
      expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toEqual({ ok: job.id });
      expect(errors).toEqual([]);
      expect(logger.lines.some((l) => l.includes(`127.0.0.1:${server.port}`))).toBe(true);
      noSecrets();
    } finally {
      await pool.close();
      await queue.close();
    }
  });

  it('fails start() and add() with a clear error for a wrong password, without echoing it', async () => {
    const { queue, make, noSecrets } = setup(url('default', WRONG_PASSWORD), 'plain', 'rwp-auth');
    const pool = make();
    try {
      const started = await pool.start().catch((e: unknown) => e);
      expect(started).toBeInstanceOf(WorkerPoolError);
      expect((started as WorkerPoolError).code).toBe('ERR_REDIS_UNAVAILABLE');
      expect((started as Error).message).toMatch(
        new RegExp(`^Could not connect to Redis at 127\\.0\\.0\\.1:${server.port}: WRONGPASS`),
      );
      const added = await queue.add('page', {}).catch((e: unknown) => e);
      expect((added as Error).message).toMatch(/WRONGPASS|NOAUTH/);
      for (const secret of SECRETS) {
        expect((started as Error).message).not.toContain(secret);
        expect((added as Error).message).not.toContain(secret);
      }
      noSecrets();
    } finally {
      await pool.close();
      await queue.close();
    }
  }, 60_000);

  it('fails start() with a clear error when no password is given', async () => {
    const { queue, make, noSecrets } = setup(`redis://127.0.0.1:${server.port}`, 'plain');
    const pool = make();
    try {
      await expect(pool.start()).rejects.toThrow(/^Could not connect to Redis at .*NOAUTH/);
      noSecrets();
    } finally {
      await pool.close();
      await queue.close();
    }
  }, 60_000);

  it('runs everything as an ACL user limited to the queue’s keys and channels', async () => {
    const { queue, make, errors, noSecrets } = setup(url('worker', WORKER_PASSWORD));
    const pools = [make({ concurrency: 3 }), make({ concurrency: 2, gracePeriod: 50 })];
    try {
      await Promise.all(pools.map((p) => p.start()));
      const jobs = await queue.addBulk(
        Array.from({ length: 30 }, (_, i) => ({
          name: 'page',
          data: { ms: 10, failFirst: i % 5 === 0 },
        })),
      );
      const batch = await queue.addBatch([
        { name: 'page', data: {} },
        { name: 'page', data: {} },
      ]);
      const delayed = await queue.add('page', {}, { delay: 100, jobId: 'own-id' });
      for (const job of [...jobs, delayed])
        expect(await queue.waitForResult(job.id, { timeout: 20_000 })).toEqual({ ok: job.id });
      expect(await queue.waitForBatch(batch.id, { timeout: 20_000 })).toMatchObject({
        completed: 2,
      });
      await queue.pause();
      await queue.resume();
      expect(await queue.getCounts()).toMatchObject({ waiting: 0, active: 0, completed: 33 });
      expect((await queue.getJob(jobs[0]!.id))?.state).toBe('completed');
      // A pool closing with a job in flight hands it back: release script, same keys.
      const slow = await queue.add('page', { ms: 3000 });
      await sleep(300);
      await Promise.all(pools.map((p) => p.close({ gracePeriod: 0 })));
      expect((await queue.getJob(slow.id))?.state).toBe('waiting');
      expect(errors).toEqual([]);
      noSecrets();
    } finally {
      await Promise.all(pools.map((p) => p.close()));
      await queue.close();
    }
  }, 60_000);

  it('refuses the ACL user a queue outside its key pattern, with a clear NOPERM error', async () => {
    const { queue, make, errors, noSecrets } = setup(url('worker', WORKER_PASSWORD), 'other');
    const pool = make();
    try {
      await expect(queue.add('page', {})).rejects.toThrow(/NOPERM/);
      // Connecting works (the password is right), but the queue's keys are refused:
      // start() says so at once rather than every claim failing later.
      const error = await pool.start().catch((e: unknown) => e);
      expect((error as WorkerPoolError).code).toBe('ERR_REDIS_REFUSED');
      expect((error as Error).message).toMatch(/^Redis refused the pool's commands: NOPERM/);
      expect(pool.state).toBe('created');
      expect(errors).toEqual([]);
      noSecrets();
    } finally {
      await pool.close({ force: true });
      await queue.close();
    }
  }, 60_000);

  it('fails start() for the ACL user with a wrong password, without echoing it', async () => {
    const { queue, make, noSecrets } = setup(url('worker', WRONG_PASSWORD));
    const pool = make();
    try {
      const error = await pool.start().catch((e: unknown) => e);
      expect((error as WorkerPoolError).code).toBe('ERR_REDIS_UNAVAILABLE');
      expect((error as Error).message).toMatch(/WRONGPASS/);
      expect((error as Error).message).not.toContain(WRONG_PASSWORD);
      noSecrets();
    } finally {
      await pool.close();
      await queue.close();
    }
  }, 60_000);
});
