import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Queue, WorkerPool } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { rawClient, redisUrl } from '../support/redis.js';

// Issue 15, bug 6: ioredis' `keyPrefix` reached the keys scripts are given,
// not the ones they build, so batches, metrics and payloads split across two
// key spaces (getBatch returned null). Design invariant 10: applied to every
// key or refused. It is applied to every key.
describe('ioredis keyPrefix', () => {
  const h = useHarness('keyprefix');

  it('puts every key under the prefix, and pools, batches, metrics and waits all work', async () => {
    const keyPrefix = `app-${h.prefix.slice(-8)}:`;
    const client = new Redis(redisUrl(), { keyPrefix, maxRetriesPerRequest: null });
    client.on('error', () => {});
    h.track({ close: () => client.quit() });
    const queue = h.track(new Queue('q', { connection: client, prefix: h.prefix, logger: false }));
    // Given the client, the pool opens duplicates of it: they carry the keyPrefix too.
    const pool = h.track(
      new WorkerPool(
        'q',
        async (job) => {
          const data = job.data as { n: number; fail?: boolean };
          if (data.fail) throw new Error(`no ${data.n}`);
          return { n: data.n };
        },
        { connection: client, prefix: h.prefix, logger: false, attempts: 1, statsInterval: 0 },
      ),
    );
    const batch = await queue.addBatch(
      [1, 2, 3].map((n) => ({ name: 'page', data: { n, fail: n === 2 } })),
      // The then job's keys are built in the script from the prefixed base (see then-job.lua).
      { meta: { title: 'Bees' }, then: { name: 'assemble', data: { n: 6 } } },
    );
    const single = await queue.add('page', { n: 4 });
    const removed = await queue.add('page', { n: 5 }, { removeOnComplete: true });
    const waits = Promise.all([
      queue.waitForBatch<{ n: number }>(batch.id, { timeout: 20_000 }),
      queue.waitForResult(single.id, { timeout: 20_000 }),
      queue.waitForResult(removed.id, { timeout: 20_000 }),
    ]);
    await pool.start();
    const [done, result, removedResult] = await waits;

    expect(done).toMatchObject({ total: 3, completed: 2, failed: 1, meta: { title: 'Bees' } });
    expect(done.items.map((item) => item.state)).toEqual(['completed', 'failed', 'completed']);
    expect(result).toEqual({ n: 4 });
    expect(removedResult).toEqual({ n: 5 });
    expect(await queue.getBatch(batch.id)).toMatchObject({ done: true, completed: 2 });
    const thenJobId = (await queue.getBatch(batch.id))?.thenJobId ?? '';
    expect(await queue.waitForResult(thenJobId, { timeout: 20_000 })).toEqual({ n: 6 });
    expect((await queue.getBatchResults(batch.id)).map((item) => item.state)).toEqual([
      'completed',
      'failed',
      'completed',
    ]);
    expect(await queue.getJob(single.id)).toMatchObject({
      state: 'completed',
      data: { n: 4 },
      result: { n: 4 },
    });
    const metrics = await queue.getMetrics(2);
    const sum = (state: 'completed' | 'failed') =>
      metrics.minutes.reduce((total, minute) => total + minute[state], 0);
    expect(sum('completed')).toBe(5);
    expect(sum('failed')).toBe(1);

    // Nothing outside the prefix.
    const raw = rawClient();
    const keys = await raw.keys(`*${h.prefix}*`);
    await raw.quit();
    expect(keys.length).toBeGreaterThan(3);
    expect(keys.filter((key) => !key.startsWith(keyPrefix))).toEqual([]);
  });

  it('puts the progress and cancel channels under the prefix too', async () => {
    const keyPrefix = `app-${h.prefix.slice(-8)}:`;
    const client = new Redis(redisUrl(), { keyPrefix, maxRetriesPerRequest: null });
    client.on('error', () => {});
    h.track({ close: () => client.quit() });
    const watcher = rawClient();
    h.track({ close: () => watcher.quit() });
    const channels = new Set<string>();
    watcher.on('pmessage', (_pattern: string, channel: string) => channels.add(channel));
    await watcher.psubscribe(`*${h.prefix}*`);
    const queue = h.track(new Queue('q', { connection: client, prefix: h.prefix, logger: false }));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const pool = h.track(
      new WorkerPool(
        'q',
        async (_job, ctx) => {
          await ctx.progress({ step: 1 });
          started();
          await new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)),
          );
        },
        { connection: client, prefix: h.prefix, logger: false, attempts: 1, statsInterval: 0 },
      ),
    );
    const batch = await queue.addBatch([{ name: 'page', data: {} }]);
    const item = batch.jobs[0]!.id;
    const seen: unknown[] = [];
    const failed = queue
      .waitForResult(item, { timeout: 20_000, onProgress: (p) => seen.push(p) })
      .then(
        () => 'completed',
        (error: Error & { cause?: { code?: string } }) => error.cause?.code,
      );
    await pool.start();
    await running;
    await queue.cancel(item, { reason: 'user left' });
    expect(await failed).toBe('ERR_JOB_CANCELLED');
    expect(seen).toEqual([{ step: 1 }]);
    expect([...channels].length).toBeGreaterThanOrEqual(3); // progress, batch progress, cancel
    expect([...channels].filter((channel) => !channel.startsWith(keyPrefix))).toEqual([]);
  });
});
