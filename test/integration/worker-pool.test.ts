import { describe, expect, it } from 'vitest';
import { MissingHandlerError, WorkerPool, type Job } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { redisUrl, sleep, until } from '../support/redis.js';

type Jobs = {
  page: { data: { index: number; ms?: number }; result: { text: string } };
  cover: { data: { title: string }; result: string };
};

describe('WorkerPool', () => {
  const h = useHarness('pool');

  it('runs each job with the handler for its name and stores the result', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>({
      page: async (job) => ({ text: `page ${job.data.index}` }),
      cover: async (job) => `cover of ${job.data.title}`,
    });
    await pool.start();
    const page = await queue.add('page', { index: 2 });
    const cover = await queue.add('cover', { title: 'Bees' });
    expect(await queue.waitForResult(page.id, { timeout: 5000 })).toEqual({ text: 'page 2' });
    expect(await queue.waitForResult(cover.id, { timeout: 5000 })).toBe('cover of Bees');
    expect(await queue.getJob(page.id)).toMatchObject({
      state: 'completed',
      attempts: 1,
      result: { text: 'page 2' },
    });
  });

  it('takes one function for every job name', async () => {
    const queue = h.queue<Jobs>();
    const seen: string[] = [];
    const pool = h.pool<Jobs>(async (job) => {
      seen.push(job.name);
      return job.name === 'page' ? { text: String(job.data.index) } : job.data.title;
    });
    await pool.start();
    const jobs = await queue.addBulk([
      { name: 'page', data: { index: 1 } },
      { name: 'cover', data: { title: 't' } },
    ]);
    await Promise.all(jobs.map((j) => queue.waitForResult(j.id, { timeout: 5000 })));
    expect(seen.sort()).toEqual(['cover', 'page']);
  });

  it('keeps `concurrency` jobs running while work is waiting, and never more', async () => {
    const queue = h.queue<Jobs>();
    let running = 0;
    let peak = 0;
    const pool = h.pool<Jobs>(
      {
        page: async (job) => {
          running++;
          peak = Math.max(peak, running);
          await sleep(job.data.ms ?? 0);
          running--;
          return { text: '' };
        },
        cover: async () => '',
      },
      { concurrency: 4 },
    );
    await pool.start();
    const jobs = await queue.addBulk(
      Array.from({ length: 16 }, (_, index) => ({
        name: 'page' as const,
        data: { index, ms: 60 },
      })),
    );
    await Promise.all(jobs.map((j) => queue.waitForResult(j.id, { timeout: 10_000 })));
    expect(peak).toBe(4);
  });

  it('hands each worker slot a number from 1 to concurrency', async () => {
    const queue = h.queue<Jobs>();
    const workers = new Set<number>();
    const pool = h.pool<Jobs>(
      {
        page: async (_job, { workerId }) => {
          workers.add(workerId);
          await sleep(40);
          return { text: '' };
        },
        cover: async () => '',
      },
      { concurrency: 3 },
    );
    await pool.start();
    const jobs = await queue.addBulk(
      Array.from({ length: 9 }, (_, index) => ({ name: 'page' as const, data: { index } })),
    );
    await Promise.all(jobs.map((j) => queue.waitForResult(j.id, { timeout: 10_000 })));
    expect([...workers].sort()).toEqual([1, 2, 3]);
  });

  it('fails a job whose name has no handler at once, saying which names it handles', async () => {
    const queue = h.queue();
    const pool = h.pool({ page: async () => 'ok', cover: async () => 'ok' });
    const failed: Error[] = [];
    pool.on('failed', ({ error }) => failed.push(error));
    await pool.start();
    const job = await queue.add('chapter', { n: 1 }, { attempts: 5 });
    const error = await queue.waitForResult(job.id, { timeout: 5000 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((await queue.getJob(job.id))?.state).toBe('failed');
    expect((await queue.getJob(job.id))?.attempts).toBe(1);
    expect(failed[0]).toBeInstanceOf(MissingHandlerError);
    expect(failed[0]?.message).toBe(
      'No handler for job name `chapter`; this pool handles `page`, `cover`',
    );
  });

  it('does not mistake Object.prototype members for handlers', async () => {
    const queue = h.queue();
    const pool = h.pool({ page: async () => 'ok' });
    await pool.start();
    const job = await queue.add('constructor', {});
    await expect(queue.waitForResult(job.id, { timeout: 5000 })).rejects.toThrow(
      /No handler for job name `constructor`/,
    );
  });

  it('waits `processingDelay` between jobs on each worker slot', async () => {
    const queue = h.queue<Jobs>();
    const starts: number[] = [];
    const pool = h.pool<Jobs>(
      {
        page: async () => {
          starts.push(Date.now());
          return { text: '' };
        },
        cover: async () => '',
      },
      { concurrency: 1, processingDelay: 150 },
    );
    await pool.start();
    const jobs = await queue.addBulk(
      Array.from({ length: 4 }, (_, index) => ({ name: 'page' as const, data: { index } })),
    );
    await Promise.all(jobs.map((j) => queue.waitForResult(j.id, { timeout: 10_000 })));
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    // A lower bound only: the delay must be there; how much longer the machine takes is not asserted.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(145);
  });

  it('hands the handler its attempt, attempt budget and an AbortSignal', async () => {
    const queue = h.queue<Jobs>();
    let context: { attempt: number; maxAttempts: number; aborted: boolean } | undefined;
    let seenJob: Job | undefined;
    const pool = h.pool<Jobs>(
      {
        page: async (job, ctx) => {
          seenJob = job;
          context = {
            attempt: ctx.attempt,
            maxAttempts: ctx.maxAttempts,
            aborted: ctx.signal.aborted,
          };
          return { text: '' };
        },
        cover: async () => '',
      },
      { attempts: 7 },
    );
    await pool.start();
    const job = await queue.add('page', { index: 5 });
    await queue.waitForResult(job.id, { timeout: 5000 });
    expect(context).toEqual({ attempt: 1, maxAttempts: 7, aborted: false });
    expect(seenJob).toMatchObject({ id: job.id, name: 'page', data: { index: 5 } });
  });

  it('wakes at once when a job is added, even with a long pollInterval (no polling delay)', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>(
      { page: async () => ({ text: 'ok' }), cover: async () => '' },
      { pollInterval: 60_000 },
    );
    await pool.start();
    await sleep(200); // the pool is now blocked in BZPOPMIN for up to a minute
    const job = await queue.add('page', { index: 0 });
    const started = Date.now();
    await queue.waitForResult(job.id, { timeout: 20_000 });
    // Correctness, not speed: the job must not wait for the 60 s poll.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('runs a delayed job when it is due, without waiting for the poll', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>(
      { page: async () => ({ text: 'late' }), cover: async () => '' },
      { pollInterval: 60_000 },
    );
    await pool.start();
    await sleep(100);
    const added = Date.now();
    const job = await queue.add('page', { index: 0 }, { delay: 400 });
    expect((await queue.getJob(job.id))?.state).toBe('delayed');
    await queue.waitForResult(job.id, { timeout: 20_000 });
    const info = await queue.getJob(job.id);
    expect(info?.processedAt).toBeGreaterThanOrEqual(added + 390);
    expect(Date.now() - added).toBeLessThan(10_000);
  });

  it('shares a queue between several pools; each job runs once', async () => {
    const queue = h.queue<Jobs>();
    const runs = new Map<string, number>();
    const byPool = [0, 0];
    const make = (i: number) =>
      h.pool<Jobs>(
        {
          page: async (job) => {
            runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
            byPool[i]!++;
            await sleep(5);
            return { text: '' };
          },
          cover: async () => '',
        },
        { concurrency: 3 },
      );
    const pools = [make(0), make(1)];
    await Promise.all(pools.map((p) => p.start()));
    const jobs = await queue.addBulk(
      Array.from({ length: 120 }, (_, index) => ({ name: 'page' as const, data: { index } })),
    );
    await Promise.all(jobs.map((j) => queue.waitForResult(j.id, { timeout: 20_000 })));
    expect(runs.size).toBe(120);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(byPool[0]).toBeGreaterThan(0);
    expect(byPool[1]).toBeGreaterThan(0);
  });

  it('emits drained once the queue is empty and nothing runs', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>({ page: async () => ({ text: '' }), cover: async () => '' });
    let drained = 0;
    pool.on('drained', () => drained++);
    await pool.start();
    await until(() => drained === 1, 'drained on an empty queue');
    const jobs = await queue.addBulk(
      Array.from({ length: 5 }, (_, index) => ({ name: 'page' as const, data: { index } })),
    );
    await Promise.all(jobs.map((j) => queue.waitForResult(j.id, { timeout: 5000 })));
    await until(() => drained === 2, 'drained after the jobs');
  });

  it('leaves a client it was given open after close()', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = h.queue<Jobs>('q', { connection: client });
    const pool = h.pool<Jobs>(
      { page: async () => ({ text: 'mine' }), cover: async () => '' },
      { connection: client },
    );
    await pool.start();
    const job = await queue.add('page', { index: 0 });
    expect(await queue.waitForResult(job.id, { timeout: 5000 })).toEqual({ text: 'mine' });
    await pool.close();
    await queue.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('validates its options at construction', () => {
    expect(() => new WorkerPool('q', { page: async () => 1 }, { concurrency: 0 })).toThrow(
      'Expected `concurrency` to be an integer from 1 to 10000, got `0` (number)',
    );
    expect(() => new WorkerPool('q', { page: 'nope' } as never)).toThrow(
      'Expected `handlers.page` to be a function, got `nope` (string)',
    );
    expect(() => new WorkerPool('q', {} as never)).toThrow(/at least one handler/);
    expect(() => new WorkerPool('bad{name}', { page: async () => 1 })).toThrow(/without braces/);
  });
});
