import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { optionsFromEnv, WorkerPool, type PoolStats } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { memoryLogger, redisUrl, sleep, until, uniquePrefix } from '../support/redis.js';

describe('stats, events and logs', () => {
  const h = useHarness('obs');
  afterEach(() => vi.restoreAllMocks());

  it('counts processed, succeeded, failed and retried attempts, and the success rate', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (job, { attempt }) => {
        if (job.data.fail === 'always') throw new Error('no');
        if (job.data.fail === 'once' && attempt === 1) throw new Error('once');
        return 'ok';
      },
      { attempts: 2, backoff: { delay: 10, jitter: 0 } },
    );
    await pool.start();
    const jobs = await queue.addBulk([
      { name: 'p', data: {} },
      { name: 'p', data: { fail: 'once' } },
      { name: 'p', data: { fail: 'always' } },
    ]);
    const outcomes = await Promise.allSettled(
      jobs.map((j) => queue.waitForResult(j.id, { timeout: 5000 })),
    );
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason.message))).toEqual([
      'ok',
      'ok',
      expect.stringMatching(/failed: no$/),
    ]);
    const stats = pool.stats();
    expect(stats).toMatchObject({
      processed: 5,
      succeeded: 2,
      failed: 3,
      retried: 2,
      active: 0,
      concurrency: 5,
    });
    expect(stats.successRate).toBeCloseTo(0.4);
    expect(stats.throughput).toBeGreaterThan(0);
    expect(Object.isFrozen(stats)).toBe(true);
  });

  it('emits a stats event and logs a [Stats] line every statsInterval', async () => {
    const logger = memoryLogger();
    const pool = h.pool(async () => 'ok', { statsInterval: 50, logger });
    const events: PoolStats[] = [];
    pool.on('stats', (s) => events.push(s));
    await pool.start();
    await until(() => events.length >= 2, 'two stats events');
    expect(
      logger.lines.some((l) =>
        /^info \[Stats\] Uptime: \d+s \| Processed: 0 \| Success: 0 \| Failed: 0 \| Success Rate: n\/a \| Active: 0/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it("prints the original deployment's log lines", async () => {
    const logger = memoryLogger();
    const queue = h.queue();
    const pool = h.pool(async () => 'ok', { logger, concurrency: 2 });
    await pool.start();
    const batch = await queue.addBatch([{ name: 'page', data: {} }], {
      batchId: '1704123456789-abc123',
    });
    await queue.waitForBatch(batch.id, { timeout: 5000 });
    await pool.close();
    const lines = logger.lines;
    expect(lines[0]).toBe('info [Worker Pool] Initializing with 2 workers...');
    expect(lines).toContain('info [Worker Pool] Redis connection successful.');
    expect(lines).toContain('info [Worker-1] Started');
    expect(lines).toContain('info [Worker-2] Started');
    expect(lines).toContain('info [Worker Pool] All 2 workers started.');
    expect(lines).toContain(
      `info [Worker-1] Processing job: ID=${batch.jobs[0]!.id}, Name=page, Batch=1704123456789-abc123, Index=0 (Attempt 1/4)`,
    );
    expect(
      lines.some((l) => l.startsWith(`info [Worker-1] Completed job: ID=${batch.jobs[0]!.id}`)),
    ).toBe(true);
  });

  describe('with a Redis that has a password', () => {
    const password = 'hunter2-S3cret';
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer({ args: ['--requirepass', password] });
    });
    afterAll(async () => {
      await server?.stop();
    });
    const url = (pw: string) => `redis://:${pw}@127.0.0.1:${server.port}`;
    const expectNoSecret = (text: string, secret: string) => {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('redis://');
    };

    it('never logs the Redis password or URL while it works', async () => {
      const logger = memoryLogger();
      const queue = h.queue('q', { connection: url(password) });
      const pool = h.pool(async () => 'ok', { logger, connection: url(password) });
      await pool.start();
      const job = await queue.add('page', {});
      expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('ok');
      await pool.close();
      // The pool did log: where it connected, that it started and the job it ran.
      expect(logger.lines).toContain('info [Worker Pool] Redis connection successful.');
      expect(logger.lines.some((l) => l.includes(`127.0.0.1:${server.port}`))).toBe(true);
      expect(logger.lines.some((l) => l.startsWith('info [Worker-1] Completed job'))).toBe(true);
      expectNoSecret(logger.lines.join('\n'), password);
    });

    it('never logs or throws the password when Redis refuses it', async () => {
      const wrong = 'wrong-hunter2-S3cret';
      const logger = memoryLogger();
      const pool = h.pool(async () => 'ok', { logger, connection: url(wrong) });
      const error: unknown = await pool.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      const thrown = error as Error;
      expect(thrown.message).toMatch(/Could not connect to Redis at 127\.0\.0\.1:\d+: WRONGPASS/);
      expectNoSecret(`${thrown.message}\n${thrown.stack}\n${String(thrown.cause)}`, wrong);
      expectNoSecret(logger.lines.join('\n'), wrong);
    });
  });

  it('uses a jobLabel to name jobs in logs', async () => {
    const logger = memoryLogger();
    const queue = h.queue();
    const pool = h.pool(async () => 'ok', {
      logger,
      jobLabel: (job) => `EbookID=${job.batchId}, PageIndex=${job.batchIndex}`,
    });
    await pool.start();
    const batch = await queue.addBatch([{ name: 'page', data: {} }], { batchId: 'e1' });
    await queue.waitForBatch(batch.id, { timeout: 5000 });
    expect(logger.lines).toContain(
      'info [Worker-1] Processing job: EbookID=e1, PageIndex=0 (Attempt 1/4)',
    );
  });

  it("gives a structured logger each attempt's fields beside the message", async () => {
    const logger = memoryLogger();
    const queue = h.queue();
    const pool = h.pool(
      async (_job, { attempt }) => {
        if (attempt === 1) throw new Error('first try fails');
        return 'ok';
      },
      { logger, backoff: { delay: 10, jitter: 0 } },
    );
    await pool.start();
    const job = await queue.add('page', {});
    await queue.waitForResult(job.id, { timeout: 5000 });
    const call = (start: string) => logger.calls.find((c) => c.message.startsWith(start));
    const base = { jobId: job.id, name: 'page', workerId: expect.any(Number) };
    expect(call('Processing job:')?.fields).toEqual({ ...base, attempt: 1, maxAttempts: 4 });
    expect(call('Job failed:')).toMatchObject({
      level: 'warn',
      fields: {
        ...base,
        attempt: 1,
        delayMs: expect.any(Number),
        err: { message: 'first try fails' },
      },
    });
    expect(call('Completed job:')?.fields).toEqual({
      ...base,
      attempt: 2,
      durationMs: expect.any(Number),
    });
    expect(call('Initializing with')?.fields).toEqual({ scope: 'Worker Pool', queue: pool.name });
    // No message repeats the prefix that the fields carry.
    expect(logger.calls.filter((c) => /^\[(Worker|Stats|Queue)/.test(c.message))).toEqual([]);
  });

  it('prints nothing with logger: false', async () => {
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => {}),
    );
    const queue = h.queue();
    const pool = h.pool(
      async () => {
        throw new Error('quiet failure');
      },
      { logger: false, attempts: 1 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    await expect(queue.waitForResult(job.id, { timeout: 5000 })).rejects.toThrow('quiet failure');
    await pool.close();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('logs with console by default', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const pool = new WorkerPool('q', async () => 'ok', {
      connection: redisUrl(),
      prefix: uniquePrefix('console'),
      statsInterval: 0,
    });
    h.track(pool);
    await pool.start();
    expect(log).toHaveBeenCalledWith('[Worker Pool] Initializing with 5 workers...');
  });

  it('keeps working when an event listener throws, and reports it as an error event', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'ok');
    const errors: string[] = [];
    pool.on('completed', () => {
      throw new Error('listener bug');
    });
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async listener is what this test is about
    pool.on('completed', async () => {
      throw new Error('async listener bug');
    });
    pool.on('error', ({ error, context }) => errors.push(`${context}: ${error.message}`));
    await pool.start();
    const jobs = await queue.addBulk([
      { name: 'p', data: {} },
      { name: 'p', data: {} },
    ]);
    for (const job of jobs) expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('ok');
    await until(() => errors.length >= 4, 'the listener errors');
    expect(errors).toContain("listener of 'completed': listener bug");
    expect(errors).toContain("listener of 'completed': async listener bug");
  });

  it('runs from the environment variables of the original deployment', async () => {
    const env = {
      CONCURRENT_WORKERS: '2',
      PROCESSING_DELAY: '0',
      MAX_RETRIES: '1',
      REDIS_PUBLIC_URL: redisUrl(),
    };
    const options = optionsFromEnv(env);
    expect(options).toMatchObject({ concurrency: 2, attempts: 2, connection: redisUrl() });
    const queue = h.queue();
    const pool = h.pool(async (_job, { maxAttempts }) => maxAttempts, options);
    await pool.start();
    const job = await queue.add('page', {});
    expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe(2);
    expect(pool.stats().concurrency).toBe(2);
  });

  it('fails start() with a clear error when Redis cannot be reached', async () => {
    const pool = h.pool(async () => 'ok', { connection: 'redis://127.0.0.1:1' });
    await expect(pool.start()).rejects.toThrow(/Could not connect to Redis at 127\.0\.0\.1:1/);
    await sleep(10);
  });
});
