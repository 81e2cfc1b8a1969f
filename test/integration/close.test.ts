import { describe, expect, it } from 'vitest';
import { PoolClosedError } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { startPoolProcess } from '../support/pool-processes.js';
import { redisUrl, sleep, until } from '../support/redis.js';

describe('closing a pool', () => {
  const h = useHarness('close');

  it('lets running jobs finish within the grace period and stores their results', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => {
      await sleep(300);
      return 'finished during close';
    });
    await pool.start();
    const job = await queue.add('page', {});
    await until(async () => (await queue.getJob(job.id))?.state === 'active', 'the job to start');
    await pool.close();
    expect(pool.state).toBe('closed');
    expect(await queue.getJob(job.id)).toMatchObject({
      state: 'completed',
      result: 'finished during close',
    });
  });

  it('hands unfinished jobs back to waiting at once after the grace period, without spending an attempt', async () => {
    const queue = h.queue();
    let reason: unknown;
    const pool = h.pool(
      async (_job, { signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        reason = signal.reason;
        return 'aborted';
      },
      { gracePeriod: 100, leaseDuration: 60_000 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    await until(async () => (await queue.getJob(job.id))?.state === 'active', 'the job to start');
    await pool.close();
    expect(reason).toBeInstanceOf(PoolClosedError);
    // Back in line at once, not after the 60 s lease.
    expect(await queue.getJob(job.id)).toMatchObject({ state: 'waiting', attempts: 0 });
    // And the next pool runs it as its first attempt.
    const next = h.pool(async (_job, { attempt }) => `attempt ${attempt}`);
    await next.start();
    expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('attempt 1');
  });

  it('aborts and hands back at once with force: true', async () => {
    const queue = h.queue();
    let aborted = false;
    const pool = h.pool(
      async (_job, { signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        aborted = true;
        return 'x';
      },
      { gracePeriod: 60_000 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    await until(async () => (await queue.getJob(job.id))?.state === 'active', 'the job to start');
    const started = Date.now();
    await pool.close({ force: true });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(aborted).toBe(true);
    expect((await queue.getJob(job.id))?.state).toBe('waiting');
  });

  it('stops claiming when closing: jobs added meanwhile stay waiting', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async () => {
        await sleep(200);
        return 'ok';
      },
      { concurrency: 1 },
    );
    await pool.start();
    const first = await queue.add('page', {});
    await until(
      async () => (await queue.getJob(first.id))?.state === 'active',
      'the first job to start',
    );
    const closing = pool.close();
    const second = await queue.add('page', {});
    await closing;
    expect((await queue.getJob(first.id))?.state).toBe('completed');
    expect((await queue.getJob(second.id))?.state).toBe('waiting');
  });

  it('can be called twice, and before start()', async () => {
    const pool = h.pool(async () => 'ok');
    const a = pool.close();
    const b = pool.close();
    expect(a).toBe(b);
    await a;
    await expect(pool.start()).rejects.toThrow(PoolClosedError);
    const started = h.pool(async () => 'ok');
    await started.start();
    await Promise.all([started.close(), started.close()]);
    expect(started.state).toBe('closed');
  });

  it('exits 0 on SIGTERM with in-flight jobs, every job finished or handed back', async () => {
    const queue = h.queue();
    const child = await startPoolProcess({
      url: redisUrl(),
      prefix: h.prefix,
      concurrency: 3,
      gracePeriod: 300,
    });
    const quick = await queue.add('page', { ms: 50 });
    const slow = await queue.addBulk([
      { name: 'page', data: { ms: 20_000 } },
      { name: 'page', data: { ms: 20_000 } },
    ]);
    await child.waitFor((m) => m.type === 'completed' && m.jobId === quick.id);
    for (const j of slow) await child.waitFor((m) => m.type === 'started' && m.jobId === j.id);
    expect(await child.terminate()).toBe(0);
    for (const j of slow) expect((await queue.getJob(j.id))?.state).toBe('waiting');
    expect((await queue.getCounts()).active).toBe(0);
  });
});
