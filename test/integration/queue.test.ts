import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  InvalidJobStateError,
  JobNotFoundError,
  OptionRangeError,
  PayloadTooLargeError,
  SerializationError,
} from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { useHarness } from '../support/harness.js';
import { rawClient, redisUrl } from '../support/redis.js';

type Jobs = { page: { data: { index: number }; result: string } };

describe('Queue', () => {
  const h = useHarness('queue');

  it('adds a job that waits, with its data, name and creation time', async () => {
    const queue = h.queue<Jobs>();
    const job = await queue.add('page', { index: 3 });
    expect(job).toMatchObject({ name: 'page', data: { index: 3 }, duplicate: false });
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({
      id: job.id,
      name: 'page',
      state: 'waiting',
      data: { index: 3 },
      attempts: 0,
    });
    expect(info?.createdAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await queue.getCounts()).toEqual({
      waiting: 1,
      delayed: 0,
      active: 0,
      completed: 0,
      failed: 0,
    });
  });

  it('numbers jobs from one sequence', async () => {
    const queue = h.queue<Jobs>();
    const a = await queue.add('page', { index: 0 });
    const b = await queue.add('page', { index: 1 });
    expect(Number(b.id)).toBe(Number(a.id) + 1);
  });

  it('gives back the ids of numbered jobs through a client that reads integers as strings', async () => {
    // ioredis' `stringNumbers`: the add script's integer reply (the first id) comes back as a string.
    const client = new Redis(redisUrl(), { stringNumbers: true });
    try {
      const queue = h.queue<Jobs>('q', { connection: client });
      const one = await queue.add('page', { index: 0 });
      const bulk = await queue.addBulk([
        { name: 'page', data: { index: 1 } },
        { name: 'page', data: { index: 2 } },
      ]);
      const batch = await queue.addBatch([{ name: 'page', data: { index: 3 } }]);
      const ids = [one.id, ...bulk.map((j) => j.id), ...batch.jobs.map((j) => j.id)];
      expect(ids.map(Number)).toEqual([0, 1, 2, 3].map((i) => Number(one.id) + i));
      for (const [index, id] of ids.entries()) {
        expect((await queue.getJob(id))?.data).toEqual({ index });
      }
    } finally {
      await client.quit();
    }
  });

  it('adds a job with a delay to `delayed`, with the time it becomes due', async () => {
    const queue = h.queue<Jobs>();
    const job = await queue.add('page', { index: 0 }, { delay: 60_000 });
    const info = await queue.getJob(job.id);
    expect(info?.state).toBe('delayed');
    expect(info?.dueAt).toBeGreaterThan((info?.createdAt ?? 0) + 59_000);
    expect((await queue.getCounts()).delayed).toBe(1);
  });

  it('makes add() idempotent with a custom jobId', async () => {
    const queue = h.queue<Jobs>();
    const first = await queue.add('page', { index: 1 }, { jobId: 'ebook-1-page-1' });
    const second = await queue.add('page', { index: 99 }, { jobId: 'ebook-1-page-1' });
    expect(first).toMatchObject({ id: 'ebook-1-page-1', duplicate: false });
    expect(second).toMatchObject({ id: 'ebook-1-page-1', duplicate: true });
    expect((await queue.getJob('ebook-1-page-1'))?.data).toEqual({ index: 1 });
    expect((await queue.getCounts()).waiting).toBe(1);
  });

  it('refuses a plain-integer jobId, which could collide with numbered jobs', async () => {
    const queue = h.queue<Jobs>();
    await expect(queue.add('page', { index: 1 }, { jobId: '42' })).rejects.toThrow(
      OptionRangeError,
    );
    expect((await queue.getCounts()).waiting).toBe(0);
  });

  it('adds thousands of jobs in bulk, one script call per 1000, in order', async () => {
    const queue = h.queue<Jobs>();
    const redis = rawClient();
    const before = Number((await redis.info('stats')).match(/total_commands_processed:(\d+)/)?.[1]);
    const jobs = await queue.addBulk(
      Array.from({ length: 2500 }, (_, index) => ({ name: 'page' as const, data: { index } })),
    );
    const after = Number((await redis.info('stats')).match(/total_commands_processed:(\d+)/)?.[1]);
    expect(jobs).toHaveLength(2500);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(2500);
    expect((await queue.getCounts()).waiting).toBe(2500);
    // The first job added is the first in line (RPOP end of the list).
    expect(await redis.lindex(queueKeysOf(queue).wait, -1)).toBe(jobs[0]?.id);
    // 3 chunks, each one EVALSHA running about 2 commands per job; far fewer than 3 round trips per job.
    expect(after - before).toBeLessThan(2500 * 3);
    await redis.quit();
  });

  it('stores each job of a bulk add whose options differ job by job as add() stores it alone', async () => {
    const queue = h.queue<Jobs>();
    const redis = rawClient();
    const keys = queueKeysOf(queue);
    const opts = [
      undefined,
      { delay: 60_000 },
      { attempts: 4, backoff: { type: 'fixed' as const, delay: 10 }, timeout: 500 },
      { jobId: 'custom-a', removeOnComplete: true, removeOnFail: 10 },
      undefined,
    ];
    const bulk = await queue.addBulk(
      opts.map((o, index) => ({ name: 'page' as const, data: { index }, opts: o })),
    );
    const alone = [];
    for (const [index, o] of opts.entries()) {
      const only = o?.jobId ? { ...o, jobId: 'custom-b' } : o;
      alone.push(await queue.add('page', { index }, only));
    }
    // Times differ between the two adds; every other field is the same.
    const stored = async (id: string) => {
      const { t, w, ...fields } = await redis.hgetall(keys.job(id));
      return {
        fields,
        t: t !== undefined,
        w: w !== undefined,
        data: await redis.hget(keys.data, id),
      };
    };
    for (const [i, job] of bulk.entries()) {
      expect(await stored(job.id)).toEqual(await stored(alone[i]?.id ?? ''));
    }
    expect((await stored(bulk[1]?.id ?? '')).w).toBe(true);
    expect((await stored('custom-a')).fields).toMatchObject({ kc: '0:-1', kf: '10:-1' });
    expect(await queue.getCounts()).toMatchObject({ waiting: 8, delayed: 2 });
    await redis.quit();
  });

  it('refuses data JSON cannot carry, naming where it is, and stores nothing', async () => {
    const queue = h.queue();
    await expect(queue.add('page', { pages: [{ at: () => 1 }] })).rejects.toThrow(
      'Job data cannot be stored as JSON: `data.pages[0].at` is a function',
    );
    await expect(queue.add('page', { n: 10n })).rejects.toThrow(SerializationError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(queue.add('page', circular)).rejects.toThrow(/circular/i);
    expect((await queue.getCounts()).waiting).toBe(0);
  });

  it('refuses a bulk add as a whole when one job is bad', async () => {
    const queue = h.queue();
    await expect(
      queue.addBulk([
        { name: 'page', data: { ok: true } },
        { name: 'page', data: { bad: Number.NaN } },
      ]),
    ).rejects.toThrow('Job data of jobs[1] cannot be stored as JSON: `jobs[1].data.bad` is NaN');
    expect((await queue.getCounts()).waiting).toBe(0);
  });

  it('refuses payloads over maxPayloadSize', async () => {
    const queue = h.queue('q', { maxPayloadSize: 1000 });
    const error = await queue.add('page', { text: 'x'.repeat(2000) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).limit).toBe(1000);
    expect(await queue.add('page', { text: 'x'.repeat(100) })).toMatchObject({ duplicate: false });
  });

  it('validates job options at add()', async () => {
    const queue = h.queue<Jobs>();
    await expect(queue.add('page', { index: 0 }, { attempts: 0 })).rejects.toThrow(
      'Expected `opts.attempts` to be an integer from 1 to 1000000, got `0` (number)',
    );
    await expect(queue.add('page', { index: 0 }, { atempts: 3 } as never)).rejects.toThrow(
      /did you mean `attempts`/,
    );
  });

  it('returns null for a job that does not exist', async () => {
    expect(await h.queue().getJob('nope')).toBeNull();
  });

  it('removes a waiting job', async () => {
    const queue = h.queue<Jobs>();
    const job = await queue.add('page', { index: 0 });
    await queue.removeJob(job.id);
    expect(await queue.getJob(job.id)).toBeNull();
    expect((await queue.getCounts()).waiting).toBe(0);
    await expect(queue.removeJob(job.id)).rejects.toThrow(JobNotFoundError);
  });

  it('refuses to retry a job that has not failed', async () => {
    const queue = h.queue<Jobs>();
    const job = await queue.add('page', { index: 0 });
    await expect(queue.retryJob(job.id)).rejects.toThrow(InvalidJobStateError);
    await expect(queue.retryJob('missing')).rejects.toThrow(JobNotFoundError);
  });

  it('puts every key of the queue under one hash tag', async () => {
    const queue = h.queue<Jobs>('pages');
    await queue.addBatch([{ name: 'page', data: { index: 0 } }]);
    const redis = rawClient();
    const keys = await redis.keys(`${h.prefix}:*`);
    expect(keys.length).toBeGreaterThan(2);
    for (const key of keys) expect(key.startsWith(`${h.prefix}:{pages}:`)).toBe(true);
    await redis.quit();
  });

  it('rejects calls after close()', async () => {
    const queue = h.queue();
    await queue.close();
    await expect(queue.add('page', {})).rejects.toThrow(/closed/);
    await queue.close(); // twice is fine
  });
});
