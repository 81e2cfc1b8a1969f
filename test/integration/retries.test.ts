import { describe, expect, it } from 'vitest';
import {
  JobFailedError,
  JobTimeoutError,
  UnrecoverableError,
  type JobInfo,
} from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { sleep, until } from '../support/redis.js';

describe('retries and timeouts', () => {
  const h = useHarness('retry');

  it('retries a failed job with exponential backoff until it succeeds on its third attempt', async () => {
    const queue = h.queue();
    const attemptsAt: number[] = [];
    const retrying: { attempt: number; delay: number }[] = [];
    const pool = h.pool(
      async (_job, { attempt }) => {
        attemptsAt.push(Date.now());
        if (attempt < 3) throw new Error(`flaky ${attempt}`);
        return 'third time lucky';
      },
      { backoff: { type: 'exponential', delay: 200, jitter: 0 } },
    );
    pool.on('retrying', ({ attempt, delay }) => retrying.push({ attempt, delay }));
    await pool.start();
    const job = await queue.add('page', {});
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('third time lucky');
    expect(retrying).toEqual([
      { attempt: 1, delay: 200 },
      { attempt: 2, delay: 400 },
    ]);
    // The backoff is a lower bound on the gap between attempts.
    expect((attemptsAt[1] ?? 0) - (attemptsAt[0] ?? 0)).toBeGreaterThanOrEqual(195);
    expect((attemptsAt[2] ?? 0) - (attemptsAt[1] ?? 0)).toBeGreaterThanOrEqual(395);
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ state: 'completed', attempts: 3, result: 'third time lucky' });
    // The last failed attempt's error is kept for inspection.
    expect(info?.error?.message).toBe('flaky 2');
  });

  it('keeps a job in `delayed` between attempts, in Redis, not in the pool', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (_job, { attempt }) => {
        if (attempt === 1) throw new Error('try later');
        return 'done';
      },
      { backoff: 60_000 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    let info: JobInfo | null = null;
    await until(
      async () => (info = await queue.getJob(job.id))?.state === 'delayed',
      'the job to be delayed',
    );
    expect(info!.attempts).toBe(1);
    expect(info!.error?.message).toBe('try later');
    expect(info!.dueAt).toBeGreaterThan(Date.now() + 30_000);
  });

  it('picks up a retry in another pool after the first pool is gone (durable retries)', async () => {
    const queue = h.queue();
    const first = h.pool(
      async () => {
        throw new Error('first pool fails');
      },
      { backoff: { delay: 300, jitter: 0 } },
    );
    await first.start();
    const job = await queue.add('page', {});
    await until(
      async () => (await queue.getJob(job.id))?.state === 'delayed',
      'the retry to be scheduled',
    );
    await first.close();
    const second = h.pool(async (_job, { attempt }) => `second pool, attempt ${attempt}`);
    await second.start();
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('second pool, attempt 2');
  });

  it('fails a job at once on UnrecoverableError, skipping the attempts left', async () => {
    const queue = h.queue();
    let calls = 0;
    const pool = h.pool(async () => {
      calls++;
      throw new UnrecoverableError('bad request: page index out of range');
    });
    const failed: { attempt: number; error: Error }[] = [];
    pool.on('failed', ({ attempt, error }) => failed.push({ attempt, error }));
    await pool.start();
    const job = await queue.add('page', {}, { attempts: 5 });
    const error = await queue.waitForResult(job.id, { timeout: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).jobError).toMatchObject({
      name: 'UnrecoverableError',
      code: 'ERR_UNRECOVERABLE',
      message: 'bad request: page index out of range',
    });
    expect(calls).toBe(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attempt).toBe(1);
  });

  it('fails a job for good when its attempts are spent, with the last error', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (_job, { attempt }) => {
        throw new Error(`attempt ${attempt} failed`);
      },
      { attempts: 3, backoff: { delay: 10, jitter: 0 } },
    );
    await pool.start();
    const job = await queue.add('page', {});
    await expect(queue.waitForResult(job.id, { timeout: 5000 })).rejects.toThrow(
      'Job ' + job.id + ' failed: attempt 3 failed',
    );
    expect(await queue.getJob(job.id)).toMatchObject({ state: 'failed', attempts: 3 });
    expect((await queue.getCounts()).failed).toBe(1);
  });

  it("lets a job's own attempts and backoff override the pool's", async () => {
    const queue = h.queue();
    const pool = h.pool(
      async () => {
        throw new Error('no');
      },
      { attempts: 10, backoff: 60_000 },
    );
    await pool.start();
    const job = await queue.add('page', {}, { attempts: 2, backoff: { delay: 5, jitter: 0 } });
    await expect(queue.waitForResult(job.id, { timeout: 5000 })).rejects.toThrow(JobFailedError);
    expect((await queue.getJob(job.id))?.attempts).toBe(2);
  });

  it('retries a failed job sent back with retryJob(), attempts reset', async () => {
    const queue = h.queue();
    let fail = true;
    const pool = h.pool(async () => {
      if (fail) throw new UnrecoverableError('not yet');
      return 'fixed';
    });
    await pool.start();
    const job = await queue.add('page', {});
    await expect(queue.waitForResult(job.id, { timeout: 5000 })).rejects.toThrow('not yet');
    fail = false;
    await queue.retryJob(job.id);
    expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('fixed');
    expect((await queue.getJob(job.id))?.attempts).toBe(1);
  });

  it('aborts the signal at the timeout and fails the attempt with a retryable JobTimeoutError', async () => {
    const queue = h.queue();
    let abortReason: unknown;
    const pool = h.pool(
      async (_job, { signal, attempt }) => {
        if (attempt > 1) return 'fast enough';
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        abortReason = signal.reason;
        await sleep(10);
        return 'too late';
      },
      { timeout: 150, backoff: { delay: 10, jitter: 0 } },
    );
    const retried: Error[] = [];
    pool.on('retrying', ({ error }) => retried.push(error));
    await pool.start();
    const job = await queue.add('page', {});
    expect(await queue.waitForResult(job.id, { timeout: 5000 })).toBe('fast enough');
    expect(abortReason).toBeInstanceOf(JobTimeoutError);
    expect(retried[0]).toBeInstanceOf(JobTimeoutError);
    expect(retried[0]?.message).toBe('Job timed out after 150 ms');
  });

  it('times out a handler that ignores its signal and never settles', async () => {
    const queue = h.queue();
    const pool = h.pool(() => new Promise(() => {}), { timeout: 100, attempts: 1 });
    await pool.start();
    const job = await queue.add('page', {});
    const error = await queue
      .waitForResult(job.id, { timeout: 5000 })
      .catch((e: JobFailedError) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).jobError.code).toBe('ERR_JOB_TIMEOUT');
    // The slot came back: the pool still runs jobs.
    const pool2Job = await queue.add('page', {}, { timeout: 2000 });
    expect(pool.stats().active).toBe(0);
    await expect(queue.waitForResult(pool2Job.id, { timeout: 5000 })).rejects.toThrow(/timed out/);
  });

  it("uses a job's own timeout over the pool's", async () => {
    const queue = h.queue();
    const pool = h.pool(
      async () => {
        await sleep(300);
        return 'ok';
      },
      { timeout: 60_000, attempts: 1 },
    );
    await pool.start();
    const job = await queue.add('page', {}, { timeout: 50 });
    await expect(queue.waitForResult(job.id, { timeout: 5000 })).rejects.toThrow(
      'Job timed out after 50 ms',
    );
  });
});
