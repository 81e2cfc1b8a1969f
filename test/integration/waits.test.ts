import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, redisUrl, sleep, uniquePrefix, until } from '../support/redis.js';

/** A promise and its resolver. */
function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('waits', () => {
  const h = useHarness('waits');

  // Issue 15, bug 1: the first wait of a Queue subscribed, then read the job, and a
  // job removed as it completed meanwhile was "not found" (3 to 10 runs in 10).
  it('resolves a wait that starts while the handler runs, for jobs removed as they complete', async () => {
    const failures: string[] = [];
    for (let run = 0; run < 10; run++) {
      let started = signal();
      const pool = h.pool(async () => {
        started.resolve();
        await sleep(1 + (run % 3));
        return `done ${run}`;
      });
      await pool.start();
      // A fresh Queue each run: its first wait is the one that raced.
      const queue = h.queue();
      started = signal();
      const job = await queue.add('page', { run }, { removeOnComplete: true });
      await started.promise;
      try {
        expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe(`done ${run}`);
      } catch (error) {
        failures.push(`run ${run}: ${(error as Error).message}`);
      }
      await pool.close();
      await queue.close();
    }
    expect(failures).toEqual([]);
  });

  it('resolves such waits while the same Queue is busy adding a large bulk', async () => {
    const queue = h.queue();
    let started = signal();
    const pool = h.pool(async (job) => {
      started.resolve();
      await sleep(1 + Math.floor(Math.random() * 3));
      return job.data;
    });
    await pool.start();
    const failures: string[] = [];
    for (let i = 0; i < 8; i++) {
      started = signal();
      const job = await queue.add('page', { i }, { removeOnComplete: true });
      await started.promise;
      // The Queue's connection is busy with the bulk: its read of the job comes after it.
      const bulk = queue.addBulk(
        Array.from({ length: 3000 }, (_, k) => ({
          name: 'filler',
          data: { k },
          opts: { delay: 3_600_000 },
        })),
      );
      try {
        expect(await queue.waitForResult(job.id, { timeout: 20_000 })).toEqual({ i });
      } catch (error) {
        failures.push(`job ${i}: ${(error as Error).message}`);
      }
      await bulk;
    }
    expect(failures).toEqual([]);
  });

  it('gives the outcome of a job removed as it finished to a wait that starts just after', async () => {
    const queue = h.queue();
    const finished = signal<string>();
    const pool = h.pool(
      async (job) => {
        if ((job.data as { fail?: boolean }).fail) throw new Error('bad page');
        return 'written';
      },
      { attempts: 1 },
    );
    pool.on('completed', ({ job }) => finished.resolve(job.id));
    await pool.start();
    const job = await queue.add('page', {}, { removeOnComplete: true });
    await finished.promise;
    await until(async () => (await queue.getJob(job.id)) === null, 'the job to be removed');
    expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('written');

    const failing = await queue.add('page', { fail: true }, { removeOnFail: true });
    await until(
      async () => (await queue.getJob(failing.id)) === null,
      'the failed job to be removed',
    );
    await expect(queue.waitForResult(failing.id, { timeout: 5000 })).rejects.toMatchObject({
      code: 'ERR_JOB_FAILED',
      jobError: { message: 'bad page' },
    });
  });

  it('still says "not found" for a job that never existed, at once', async () => {
    const queue = h.queue();
    const started = Date.now();
    await expect(queue.waitForResult('ghost', { timeout: 5000 })).rejects.toMatchObject({
      code: 'ERR_JOB_NOT_FOUND',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('says why a job removed while it was awaited was not found', async () => {
    const queue = h.queue();
    const job = await queue.add('page', {});
    const waiting = queue.waitForResult(job.id, { timeout: 5000 });
    await sleep(100);
    await queue.removeJob(job.id);
    await expect(waiting).rejects.toThrow(/was removed before it finished/);
  });

  // Issue 15, bug 7: the wait re-read the whole batch, results included, on every
  // finished job (1,000 jobs x 4 KB: 344 MB to one waiter).
  it('reads a running batch by its counters, and its results once', async () => {
    const client = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    client.on('error', () => {});
    const queue = h.track(new Queue('q', { connection: client, prefix: h.prefix, logger: false }));
    h.track({ close: () => client.quit() });
    const page = 'x'.repeat(4000);
    const pool = h.pool(async (job) => ({ page, index: (job.data as { i: number }).i }), {
      concurrency: 20,
    });
    const batch = await queue.addBatch(
      Array.from({ length: 300 }, (_, i) => ({ name: 'page', data: { i } })),
    );
    let progressCalls = 0;
    const before = client.stream.bytesRead;
    const waiting = queue.waitForBatch<{ page: string; index: number }>(batch.id, {
      timeout: 60_000,
      onProgress: () => progressCalls++,
    });
    await sleep(50);
    await pool.start();
    const done = await waiting;
    const read = client.stream.bytesRead - before;
    expect(done.completed).toBe(300);
    expect(done.items.map((item) => item.state === 'completed' && item.result.index)).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
    expect(progressCalls).toBeGreaterThan(1);
    // The results are 1.2 MB; reading them once, plus the counters, stays far below 3 MB.
    expect(read).toBeLessThan(3_000_000);
  });
});

describe('waits whose reading connection is killed', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lose no outcome of jobs removed as they finished while the connection was down', async () => {
    const prefix = uniquePrefix('kill-reader');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const pool = new WorkerPool(
      'q',
      async (job) => {
        await sleep(10 + ((job.data as { i: number }).i % 30));
        return { i: (job.data as { i: number }).i };
      },
      { connection: server.url, prefix, logger: false, concurrency: 8, statsInterval: 0 },
    );
    const admin = rawClient(server.url);
    try {
      const jobs = await queue.addBulk(
        Array.from({ length: 300 }, (_, i) => ({
          name: 'page',
          data: { i },
          opts: { removeOnComplete: true },
        })),
      );
      const results = jobs.map((job) => queue.waitForResult(job.id, { timeout: 60_000 }));
      const settled = Promise.allSettled(results);
      // The killer: the connection the waits read from, again and again.
      let killing = true;
      let kills = 0;
      const killer = (async () => {
        while (killing) {
          await sleep(20);
          const list = String(await admin.call('CLIENT', 'LIST'));
          for (const line of list.split('\n')) {
            if (!/ cmd=(xread|subscribe) /.test(line)) continue;
            const id = /^id=(\d+)/.exec(line)?.[1];
            if (id) kills += Number(await admin.call('CLIENT', 'KILL', 'ID', id).catch(() => 0));
          }
        }
      })();
      await sleep(100);
      await pool.start();
      const outcomes = await settled;
      killing = false;
      await killer;
      expect(kills).toBeGreaterThan(5);
      const rejected = outcomes.filter((o) => o.status === 'rejected');
      expect(rejected.map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
      expect(outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value)).toEqual(
        jobs.map((_, i) => ({ i })),
      );
    } finally {
      await pool.close({ force: true });
      await queue.close();
      await admin.quit();
    }
  });
});
