import { JobFailedError } from '../../src/index.js';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { useHarness } from '../support/harness.js';
import { rawClient, redisUrl } from '../support/redis.js';

type Jobs = { page: { data: { n: number }; result: string } };

describe("each job's retention governs that job only", () => {
  const h = useHarness('keep');

  it('keeps a removeOnComplete: false job while jobs kept by count are trimmed around it', async () => {
    const queue = h.queue<Jobs>();
    let runs = 0;
    const pool = h.pool<Jobs>({
      page: async (job) => {
        runs++;
        return `page ${job.data.n}`;
      },
    });
    await pool.start();
    const forever = await queue.add(
      'page',
      { n: 0 },
      { jobId: 'keep-me', removeOnComplete: false },
    );
    await queue.waitForResult(forever.id, { timeout: 10_000 });
    const trimmed: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const job = await queue.add('page', { n }, { removeOnComplete: 2 });
      trimmed.push(job.id);
      await queue.waitForResult(job.id, { timeout: 10_000 });
    }
    expect((await queue.getJob('keep-me'))?.result).toBe('page 0');
    // Each of the count-2 jobs is trimmed among its own kind: the oldest is gone.
    expect(await queue.getJob(trimmed[0] ?? '')).toBeNull();
    expect((await queue.getJob(trimmed[2] ?? ''))?.state).toBe('completed');
    // Re-adding the kept job's id is a no-op: it does not run again.
    await queue.add('page', { n: 0 }, { jobId: 'keep-me', removeOnComplete: false });
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toBe(4);
    const counts = await queue.getCounts();
    expect(counts.completed).toBe(3);
    const listed = await queue.getJobs('completed');
    expect(listed.map((j) => j.id)).toEqual([trimmed[2], trimmed[1], 'keep-me']);
    expect((await queue.getJobs('completed', { start: 1, limit: 1 })).map((j) => j.id)).toEqual([
      trimmed[1],
    ]);
  });

  it('trims failed jobs by their own policy, and retryJob/removeJob find them', async () => {
    const queue = h.queue<Jobs>();
    const pool = h.pool<Jobs>(
      {
        page: async () => {
          throw new Error('no');
        },
      },
      { attempts: 1 },
    );
    await pool.start();
    const kept = await queue.add('page', { n: 0 }, { removeOnFail: { count: 5 } });
    // The handler always throws: each wait must end in the job's failure, not a timeout.
    await expect(queue.waitForResult(kept.id, { timeout: 5_000 })).rejects.toThrow(JobFailedError);
    const others = [];
    for (let n = 1; n <= 3; n++) {
      const job = await queue.add('page', { n }, { removeOnFail: 1 });
      others.push(job.id);
      await expect(queue.waitForResult(job.id, { timeout: 5_000 })).rejects.toThrow(JobFailedError);
    }
    expect((await queue.getJob(kept.id))?.state).toBe('failed');
    expect(await queue.getJob(others[0] ?? '')).toBeNull();
    expect((await queue.getCounts()).failed).toBe(2);
    expect((await queue.getJobs('failed')).map((j) => j.id)).toEqual([others[2], kept.id]);
    await queue.removeJob(others[2] ?? '');
    await pool.close();
    await queue.retryJob(kept.id);
    expect((await queue.getJob(kept.id))?.state).toBe('waiting');
    expect(await queue.getCounts()).toMatchObject({ failed: 0, waiting: 1 });
    // Emptied policy sets are no longer listed: nothing is left behind.
    const redis = rawClient();
    expect(await redis.smembers(`${queueKeysOf(queue).failed}:sets`)).toEqual([]);
    await redis.quit();
  });
});

describe('retention per job under an ioredis keyPrefix', () => {
  const h = useHarness('keep-kp');

  it('counts and lists the jobs of every policy, with the prefix applied once', async () => {
    const keyPrefix = `app-${h.prefix.slice(-8)}:`;
    const client = new Redis(redisUrl(), { keyPrefix, maxRetriesPerRequest: null });
    client.on('error', () => {});
    h.track({ close: () => client.quit() });
    const queue = h.track(new Queue('q', { connection: client, prefix: h.prefix, logger: false }));
    const pool = h.pool(async () => 'ok', { connection: client });
    await pool.start();
    const kept = await queue.add('page', {}, { removeOnComplete: false });
    const other = await queue.add('page', {}, { removeOnComplete: 5 });
    await queue.waitForResult(kept.id, { timeout: 10_000 });
    await queue.waitForResult(other.id, { timeout: 10_000 });
    expect((await queue.getCounts()).completed).toBe(2);
    expect((await queue.getJobs('completed')).map((j) => j.id).sort()).toEqual(
      [kept.id, other.id].sort(),
    );
    const raw = rawClient();
    const keys = await raw.keys(`*${h.prefix}*completed*`);
    await raw.quit();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith(keyPrefix) && !k.startsWith(keyPrefix + keyPrefix))).toBe(
      true,
    );
  });
});
