import { afterEach, describe, expect, it } from 'vitest';
import type { ItemProgress } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { Scripts } from '../../src/redis/scripts.js';
import { useHarness } from '../support/harness.js';
import { startPoolProcess, type PoolProcess } from '../support/pool-processes.js';
import { rawClient, redisUrl, sleep } from '../support/redis.js';

describe('progress: ctx.progress() and its followers', () => {
  const h = useHarness('progress');
  const children: PoolProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });
  const poolProcess = async (progressInterval = 20) => {
    const child = await startPoolProcess({
      url: redisUrl(),
      prefix: h.prefix,
      concurrency: 3,
      progressInterval,
    });
    children.push(child);
    return child;
  };

  it('a follower in another process sees the values in order and the last one', async () => {
    const queue = h.queue();
    await poolProcess();
    const values = Array.from({ length: 30 }, (_, i) => ({ chars: (i + 1) * 10 }));
    const job = await queue.add('page', { progress: values, stepMs: 5 });
    const seen: { chars: number }[] = [];
    const result = await queue.waitForResult(job.id, {
      timeout: 15_000,
      onProgress: (p) => seen.push(p as { chars: number }),
    });
    expect(result).toMatchObject({ id: job.id });
    // Coalesced values may be skipped, but never reordered, repeated or lost at the end.
    expect(seen.length).toBeGreaterThan(1);
    const chars = seen.map((p) => p.chars);
    expect(chars).toEqual([...chars].sort((a, b) => a - b));
    expect(new Set(chars).size).toBe(chars.length);
    expect(seen.at(-1)).toEqual({ chars: 300 });
    expect((await queue.getJob(job.id))?.progress).toEqual({ chars: 300 });
  });

  it('a follower that connects late gets the latest value first', async () => {
    const queue = h.queue();
    const child = await poolProcess();
    const job = await queue.add('page', { progress: ['one', 'two'], stepMs: 1500 });
    await child.waitFor((m) => m.type === 'progressed' && m.result === 'two');
    await sleep(50);
    expect((await queue.getJob(job.id))?.progress).toBe('two');
    const seen: unknown[] = [];
    await queue.waitForResult(job.id, { timeout: 10_000, onProgress: (p) => seen.push(p) });
    expect(seen).toEqual(['two']);
  });

  it('waitForBatch reports each item progress with its index and id', async () => {
    const queue = h.queue();
    await poolProcess();
    const batch = await queue.addBatch(
      [0, 1, 2].map((i) => ({ name: 'page', data: { progress: [`${i}a`, `${i}b`], stepMs: 30 } })),
    );
    const seen: ItemProgress[] = [];
    const result = await queue.waitForBatch(batch.id, {
      timeout: 15_000,
      onItemProgress: (item) => seen.push(item),
    });
    expect(result.completed).toBe(3);
    for (const [i, added] of batch.jobs.entries()) {
      const mine = seen.filter((s) => s.index === i);
      expect(mine.every((s) => s.id === added.id)).toBe(true);
      expect(mine.at(-1)?.progress).toBe(`${i}b`);
    }
    // A follower that comes after the batch finished still gets every item's last value.
    const late: ItemProgress[] = [];
    await queue.waitForBatch(batch.id, {
      timeout: 5000,
      onItemProgress: (item) => late.push(item),
    });
    expect(late.map((l) => [l.index, l.progress])).toEqual([
      [0, '0b'],
      [1, '1b'],
      [2, '2b'],
    ]);
  });

  it('the pool emits a progress event for each value it stores', async () => {
    const queue = h.queue();
    const pool = h.pool(async (_job, { progress }) => {
      await progress('half');
      await progress('all');
      return 'done';
    });
    const events: unknown[] = [];
    pool.on('progress', ({ job, progress, attempt }) => events.push([job.id, progress, attempt]));
    await pool.start();
    const job = await queue.add('page', {});
    await queue.waitForResult(job.id, { timeout: 5000 });
    expect(events).toEqual([
      [job.id, 'half', 1],
      [job.id, 'all', 1],
    ]);
  });

  it('a value sent without the lease (taken over, or after the attempt) is refused', async () => {
    const queue = h.queue();
    const job = await queue.add('page', {});
    const client = rawClient();
    try {
      const scripts = new Scripts(client, queueKeysOf(queue));
      const write = { id: job.id, token: 'not-the-lease', json: '"stale"' };
      expect(await scripts.progress(write)).toBe(false);
      expect((await queue.getJob(job.id))?.progress).toBeUndefined();
    } finally {
      await client.quit();
    }
  });

  it('a job that never reports has no progress and its follower is never called', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'quiet');
    await pool.start();
    const job = await queue.add('page', {});
    const seen: unknown[] = [];
    await queue.waitForResult(job.id, { timeout: 5000, onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([]);
    expect((await queue.getJob(job.id))?.progress).toBeUndefined();
  });

  it('refuses a non-function onProgress or onItemProgress', async () => {
    const queue = h.queue();
    await expect(queue.waitForResult('1', { onProgress: 5 as never })).rejects.toThrow(
      'Expected `onProgress` to be a function, got `5` (number)',
    );
    await expect(queue.waitForBatch('1', { onItemProgress: 'x' as never })).rejects.toThrow(
      'Expected `onItemProgress` to be a function, got `x` (string)',
    );
  });
});
