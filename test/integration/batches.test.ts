import { describe, expect, it } from 'vitest';
import { BatchNotFoundError, type BatchItem, type BatchProgress } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { useHarness } from '../support/harness.js';
import { startPoolProcess } from '../support/pool-processes.js';
import { rawClient, redisUrl, sleep } from '../support/redis.js';

const results = <R>(items: readonly BatchItem<R>[]) =>
  items.map((i) => (i.state === 'completed' ? i.result : undefined));

type Jobs = { page: { data: { index: number; ms?: number; fail?: boolean }; result: string } };

describe('batches', () => {
  const h = useHarness('batch');

  it('returns the results in the order the jobs were added, whatever order they finished in', async () => {
    const queue = h.queue<Jobs>();
    const finished: number[] = [];
    const pool = h.pool<Jobs>(
      {
        page: async (job) => {
          await sleep(job.data.ms ?? 0);
          finished.push(job.data.index);
          return `page ${job.data.index}`;
        },
      },
      { concurrency: 5 },
    );
    await pool.start();
    const batch = await queue.addBatch(
      Array.from({ length: 20 }, (_, index) => ({
        name: 'page' as const,
        data: { index, ms: (20 - index) * 5 },
      })),
    );
    expect(batch.id).toMatch(/^\d{13}-[0-9a-f]{6}$/);
    expect(batch.jobs.map((j) => j.batchIndex)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const result = await queue.waitForBatch<string>(batch.id, { timeout: 20_000 });
    expect(finished).not.toEqual([...finished].sort((a, b) => a - b));
    expect(result).toMatchObject({
      id: batch.id,
      total: 20,
      completed: 20,
      failed: 0,
      pending: 0,
      done: true,
    });
    expect(results(result.items)).toEqual(Array.from({ length: 20 }, (_, i) => `page ${i}`));
    expect(result.finishedAt).toBeGreaterThanOrEqual(result.createdAt);
  });

  it('reports live progress, counted atomically in Redis', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>(
      { page: async (job) => (await sleep(30), `p${job.data.index}`) },
      { concurrency: 2 },
    );
    const batch = await queue.addBatch(
      Array.from({ length: 8 }, (_, index) => ({ name: 'page' as const, data: { index } })),
    );
    expect(await queue.getBatch(batch.id)).toMatchObject({
      total: 8,
      completed: 0,
      failed: 0,
      pending: 8,
      done: false,
    });
    const seen: BatchProgress[] = [];
    const waiting = queue.waitForBatch(batch.id, {
      timeout: 20_000,
      onProgress: (p) => seen.push(p),
    });
    await sleep(50);
    await pool.start();
    await waiting;
    expect(seen[0]?.completed).toBe(0);
    expect(seen.at(-1)).toMatchObject({ completed: 8, done: true });
    const counts = seen.map((p) => p.completed);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(seen.length).toBeGreaterThan(2);
  });

  it('finishes a batch with failed jobs, keeping each error at its position', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>({
      page: async (job) => {
        if (job.data.fail) throw new Error(`page ${job.data.index} is cursed`);
        return `page ${job.data.index}`;
      },
    });
    await pool.start();
    const batch = await queue.addBatch(
      [0, 1, 2].map((index) => ({
        name: 'page' as const,
        data: { index, fail: index === 1 },
        opts: { attempts: 1 },
      })),
    );
    const result = await queue.waitForBatch<string>(batch.id, { timeout: 10_000 });
    expect(result).toMatchObject({ completed: 2, failed: 1, done: true });
    expect(result.items[0]).toEqual({ index: 0, state: 'completed', result: 'page 0' });
    expect(result.items[1]).toMatchObject({
      index: 1,
      state: 'failed',
      error: { message: 'page 1 is cursed' },
    });
    expect(result.items[2]).toEqual({ index: 2, state: 'completed', result: 'page 2' });
  });

  it("keeps a batch's results when its jobs are removed on completion", async () => {
    const queue = h.queue<Jobs>('q', { defaultJobOptions: { removeOnComplete: true } });
    const pool = h.pool<Jobs>({ page: async (job) => `kept ${job.data.index}` });
    await pool.start();
    const batch = await queue.addBatch(
      [0, 1].map((index) => ({ name: 'page' as const, data: { index } })),
    );
    const result = await queue.waitForBatch<string>(batch.id, { timeout: 10_000 });
    expect(results(result.items)).toEqual(['kept 0', 'kept 1']);
    expect(await queue.getJob(batch.jobs[0]!.id)).toBeNull();
    expect(results(await queue.getBatchResults<string>(batch.id))).toEqual(['kept 0', 'kept 1']);
  });

  it('expires a finished batch after its ttl, and not before it finishes', async () => {
    const queue = h.queue<Jobs>();
    const batch = await queue.addBatch([{ name: 'page', data: { index: 0 } }], {
      batchId: 'ebook-42',
      ttl: 3600,
    });
    expect(batch.id).toBe('ebook-42');
    const redis = rawClient();
    expect(await redis.ttl(queueKeysOf(queue).batch('ebook-42'))).toBe(-1);
    const pool = h.pool<Jobs>({ page: async () => 'done' });
    await pool.start();
    await queue.waitForBatch('ebook-42', { timeout: 10_000 });
    const ttl = await redis.ttl(queueKeysOf(queue).batch('ebook-42'));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    await redis.quit();
  });

  it('is awaited from another process than the one running its jobs', async () => {
    const queue = h.queue();
    const child = await startPoolProcess({ url: redisUrl(), prefix: h.prefix, tag: 'child' });
    const batch = await queue.addBatch([
      { name: 'page', data: { ms: 10 } },
      { name: 'page', data: {} },
    ]);
    const result = await queue.waitForBatch<{ tag: string }>(batch.id, { timeout: 10_000 });
    expect(results(result.items).map((r) => r?.tag)).toEqual(['child', 'child']);
    await child.terminate();
  });

  it('keeps meta about the batch as a whole, returned with its progress', async () => {
    const queue = h.queue<Jobs>();
    const meta = { title: 'Honey bees', outline: ['Hives', 'Honey'] };
    const batch = await queue.addBatch([{ name: 'page', data: { index: 0 } }], { meta });
    expect((await queue.getBatch(batch.id))?.meta).toEqual(meta);
    const pool = h.pool<Jobs>({ page: async () => 'p' });
    await pool.start();
    expect((await queue.waitForBatch(batch.id, { timeout: 10_000 })).meta).toEqual(meta);
    await expect(
      queue.addBatch([{ name: 'page', data: { index: 0 } }], { meta: { f: () => 1 } }),
    ).rejects.toThrow('Batch meta cannot be stored as JSON: `meta.f` is a function');
  });

  it('stops waiting when the caller aborts, and the batch goes on', async () => {
    const queue = h.queue<Jobs>();
    const batch = await queue.addBatch([{ name: 'page', data: { index: 0 } }]);
    const controller = new AbortController();
    const waiting = queue.waitForBatch(batch.id, { signal: controller.signal });
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    await expect(
      queue.waitForResult(batch.jobs[0]!.id, { signal: AbortSignal.abort() }),
    ).rejects.toThrow();
    await expect(queue.waitForBatch(batch.id, { signal: 'nope' as never })).rejects.toThrow(
      'Expected `signal` to be an AbortSignal, got `nope` (string)',
    );
    expect((await queue.getBatch(batch.id))?.pending).toBe(1);
  });

  it('says so when a batch does not exist', async () => {
    const queue = h.queue();
    expect(await queue.getBatch('nope')).toBeNull();
    await expect(queue.waitForBatch('nope', { timeout: 1000 })).rejects.toThrow(BatchNotFoundError);
    await expect(queue.getBatchResults('nope')).rejects.toMatchObject({
      code: 'ERR_BATCH_NOT_FOUND',
      batchId: 'nope',
      message: 'Batch nope was not found (never added, or removed by retention)',
    });
  });

  it('refuses custom job ids inside a batch, and an empty batch', async () => {
    const queue = h.queue<Jobs>();
    await expect(
      queue.addBatch([{ name: 'page', data: { index: 0 }, opts: { jobId: 'x' } }]),
    ).rejects.toThrow(/cannot be set on a batch job/);
    await expect(queue.addBatch([])).rejects.toThrow('Expected `jobs` to be a non-empty array');
  });

  it('refuses a batchId that is already in use, adding nothing', async () => {
    const queue = h.queue<Jobs>();
    await queue.addBatch([{ name: 'page', data: { index: 0 } }], { batchId: 'ebook-1' });
    await expect(
      queue.addBatch([{ name: 'page', data: { index: 1 } }], { batchId: 'ebook-1' }),
    ).rejects.toMatchObject({
      name: 'BatchExistsError',
      code: 'ERR_BATCH_EXISTS',
      batchId: 'ebook-1',
      message: expect.stringContaining('Batch ebook-1 already exists'),
    });
    expect((await queue.getCounts()).waiting).toBe(1);
    expect((await queue.getBatch('ebook-1'))?.total).toBe(1);
  });

  it('adds a batch of more than 1000 jobs over several calls, results still in order', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>({ page: async (job) => `p${job.data.index}` }, { concurrency: 50 });
    await pool.start();
    const batch = await queue.addBatch(
      Array.from({ length: 2100 }, (_, index) => ({ name: 'page' as const, data: { index } })),
    );
    const result = await queue.waitForBatch<string>(batch.id, { timeout: 60_000 });
    expect(result.total).toBe(2100);
    expect(results(result.items)).toEqual(Array.from({ length: 2100 }, (_, i) => `p${i}`));
  });

  it('counts a removed waiting job as failed, so the batch still finishes', async () => {
    const queue = h.queue<Jobs>();
    const batch = await queue.addBatch(
      [0, 1].map((index) => ({ name: 'page' as const, data: { index } })),
    );
    await queue.removeJob(batch.jobs[1]!.id);
    const pool = h.pool<Jobs>({ page: async () => 'ok' });
    await pool.start();
    const result = await queue.waitForBatch(batch.id, { timeout: 10_000 });
    expect(result).toMatchObject({ completed: 1, failed: 1, done: true });
    expect(result.items[1]).toMatchObject({ state: 'failed', error: { code: 'ERR_JOB_REMOVED' } });
  });
});
