import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidJobStateError,
  JobCancelledError,
  JobFailedError,
  JobNotFoundError,
} from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { Scripts } from '../../src/redis/scripts.js';
import { useHarness } from '../support/harness.js';
import { startPoolProcess, type PoolProcess } from '../support/pool-processes.js';
import { rawClient, redisUrl, sleep } from '../support/redis.js';

describe('cancel: from any process', () => {
  const h = useHarness('cancel');
  const children: PoolProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });
  const poolProcess = async (concurrency = 3) => {
    const child = await startPoolProcess({ url: redisUrl(), prefix: h.prefix, concurrency });
    children.push(child);
    return child;
  };
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobFailedError);
    return (error as JobFailedError).cause as { code?: string; message?: string };
  };

  it('a waiting job ends failed at once with ERR_JOB_CANCELLED, and never runs', async () => {
    const queue = h.queue();
    const job = await queue.add('page', {});
    await queue.cancel(job.id, { reason: 'user left' });
    const info = await queue.getJob(job.id);
    expect(info?.state).toBe('failed');
    expect(info?.error).toMatchObject({
      name: 'JobCancelledError',
      code: 'ERR_JOB_CANCELLED',
      message: `Job ${job.id} was cancelled: user left`,
    });
    expect(await failure(queue.waitForResult(job.id, { timeout: 2000 }))).toMatchObject({
      code: 'ERR_JOB_CANCELLED',
    });
    const child = await poolProcess();
    await sleep(300);
    expect(child.messages.filter((m) => m.type === 'started')).toEqual([]);
    expect(await queue.getCounts()).toMatchObject({ waiting: 0, failed: 1 });
  });

  it('a delayed job ends failed at once', async () => {
    const queue = h.queue();
    const job = await queue.add('page', {}, { delay: 60_000 });
    await queue.cancel(job.id);
    expect((await queue.getJob(job.id))?.state).toBe('failed');
    expect(await queue.getCounts()).toMatchObject({ delayed: 0, failed: 1 });
  });

  it("aborts a running job's signal in another process within 1 s; its later result is refused", async () => {
    const queue = h.queue();
    const child = await poolProcess();
    // The handler ignores its signal and returns after 1.5 s anyway.
    const job = await queue.add('page', { ms: 1500, ignoreSignal: true });
    await child.waitFor((m) => m.type === 'started' && m.jobId === job.id);
    const sent = Date.now();
    await queue.cancel(job.id, { reason: 'stop' });
    const failed = await child.waitFor(
      (m) => m.type === 'failed' && m.jobId === job.id,
      'failed',
      3000,
    );
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(failed).toMatchObject({
      code: 'ERR_JOB_CANCELLED',
      message: `Job ${job.id} was cancelled: stop`,
    });
    // Past the handler's return: nothing it produced was written, and it was not retried.
    await sleep(1800);
    const info = await queue.getJob(job.id);
    expect(info?.state).toBe('failed');
    expect(info?.error?.code).toBe('ERR_JOB_CANCELLED');
    expect(info?.result).toBeUndefined();
    expect(child.messages.filter((m) => m.type === 'started' && m.jobId === job.id)).toHaveLength(
      1,
    );
    expect(child.messages.filter((m) => m.type === 'completed')).toEqual([]);
    const runs = rawClient();
    try {
      expect(await runs.hget(`${h.prefix}:runs`, job.id)).toBe('1');
    } finally {
      await runs.quit();
    }
  });

  it('a pool that missed the message learns of the cancel from its lease renewal', async () => {
    const queue = h.queue();
    let reason: unknown;
    const pool = h.pool(
      (_job, { signal }) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(signal.reason as Error);
          }),
        ),
      { leaseDuration: 300 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    const started = new Promise((resolve) => pool.once('active', resolve));
    await started;
    // The cancel script, with its message sent where no pool listens.
    const client = rawClient();
    try {
      const keys = { ...queueKeysOf(queue), cancel: `${h.prefix}:nowhere` };
      const error = JSON.stringify({
        name: 'JobCancelledError',
        code: 'ERR_JOB_CANCELLED',
        message: 'x',
      });
      expect(await new Scripts(client, keys).cancel({ id: job.id, error, reason: '' })).toBe(
        'active',
      );
    } finally {
      await client.quit();
    }
    await expect.poll(() => reason, { timeout: 2000 }).toBeInstanceOf(JobCancelledError);
  });

  it('a finished job gives InvalidJobStateError, an unknown one JobNotFoundError', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'done');
    await pool.start();
    const job = await queue.add('page', {});
    await queue.waitForResult(job.id, { timeout: 5000 });
    await expect(queue.cancel(job.id)).rejects.toThrow(InvalidJobStateError);
    await expect(queue.cancel(job.id)).rejects.toThrow(
      `Cannot cancel job ${job.id}: it is completed`,
    );
    await expect(queue.cancel('nope')).rejects.toThrow(JobNotFoundError);
  });

  it('cancelBatch cancels every unfinished item, running or waiting, in another process', async () => {
    const queue = h.queue();
    const child = await poolProcess(2);
    const batch = await queue.addBatch(
      Array.from({ length: 6 }, (_, i) => ({ name: 'page', data: { ms: i === 0 ? 0 : 5000 } })),
    );
    await child.waitFor((m) => m.type === 'started' && m.jobId === batch.jobs[2]?.id);
    expect(await queue.cancelBatch(batch.id, { reason: 'tab closed' })).toBe(5);
    const result = await queue.waitForBatch(batch.id, { timeout: 3000 });
    expect(result).toMatchObject({ completed: 1, failed: 5, done: true });
    for (const item of result.items.slice(1)) {
      expect(item).toMatchObject({ state: 'failed', error: { code: 'ERR_JOB_CANCELLED' } });
    }
    expect(await queue.getCounts()).toMatchObject({ waiting: 0, active: 0, failed: 5 });
  });

  it('refuses bad cancel options with a clear error', async () => {
    const queue = h.queue();
    await expect(queue.cancel('1', { reason: 5 } as never)).rejects.toThrow(
      'Expected `reason` to be a string, got `5` (number)',
    );
    await expect(queue.cancel('1', { why: 'x' } as never)).rejects.toThrow(/why/);
  });
});
