import { describe, expect, it } from 'vitest';
import { JobFailedError, JobNotFoundError, Queue, WaitTimeoutError } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { useHarness } from '../support/harness.js';
import { rawClient, redisUrl, sleep } from '../support/redis.js';

describe('results and retention', () => {
  const h = useHarness('results');

  it('waits for a result from another Queue instance, on its own connection', async () => {
    const producer = h.queue();
    const observer = h.track(
      new Queue('q', { connection: redisUrl(), prefix: h.prefix, logger: false }),
    );
    const pool = h.pool(async (job) => ({ echoed: job.data }));
    const job = await producer.add('page', { n: 7 });
    const waiting = observer.waitForResult(job.id, { timeout: 10_000 });
    await sleep(50);
    await pool.start();
    expect(await waiting).toEqual({ echoed: { n: 7 } });
  });

  it('resolves at once for a job that already completed', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'early');
    await pool.start();
    const job = await queue.add('page', {});
    await queue.waitForResult(job.id, { timeout: 5000 });
    await pool.close();
    expect(await queue.waitForResult(job.id, { timeout: 1000 })).toBe('early');
  });

  it('rejects with JobFailedError carrying the job error as cause', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async () => {
        throw Object.assign(new TypeError('bad outline'), { code: 'E_OUTLINE' });
      },
      { attempts: 1 },
    );
    await pool.start();
    const job = await queue.add('page', {});
    const error = (await queue
      .waitForResult(job.id, { timeout: 5000 })
      .catch((e: unknown) => e)) as JobFailedError;
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error.code).toBe('ERR_JOB_FAILED');
    expect(error.jobError).toMatchObject({
      name: 'TypeError',
      message: 'bad outline',
      code: 'E_OUTLINE',
    });
    expect((error.cause as Error).message).toBe('bad outline');
  });

  it('rejects with JobNotFoundError for an unknown job and WaitTimeoutError when it takes too long', async () => {
    const queue = h.queue();
    await expect(queue.waitForResult('ghost', { timeout: 1000 })).rejects.toThrow(JobNotFoundError);
    const job = await queue.add('page', {});
    await expect(queue.waitForResult(job.id, { timeout: 100 })).rejects.toThrow(WaitTimeoutError);
  });

  it('delivers the result of a job removed as it completes (removeOnComplete: true) to a waiter', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'gone but delivered');
    const job = await queue.add('page', {}, { removeOnComplete: true });
    const waiting = queue.waitForResult(job.id, { timeout: 10_000 });
    await sleep(50);
    await pool.start();
    expect(await waiting).toBe('gone but delivered');
    expect(await queue.getJob(job.id)).toBeNull();
    expect((await queue.getCounts()).completed).toBe(0);
  });

  it('keeps only the last `count` completed jobs, deleting the older ones entirely', async () => {
    const queue = h.queue('q', { defaultJobOptions: { removeOnComplete: 3 } });
    const pool = h.pool(async (job) => job.id);
    await pool.start();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const job = await queue.add('page', { i });
      await queue.waitForResult(job.id, { timeout: 5000 });
      ids.push(job.id);
    }
    expect((await queue.getCounts()).completed).toBe(3);
    for (const id of ids.slice(0, 3)) expect(await queue.getJob(id)).toBeNull();
    for (const id of ids.slice(3)) expect((await queue.getJob(id))?.state).toBe('completed');
  });

  it('removes completed jobs older than `age` seconds', async () => {
    const queue = h.queue('q', { defaultJobOptions: { removeOnComplete: { age: 1 } } });
    const pool = h.pool(async () => 'ok');
    await pool.start();
    const old = await queue.add('page', {});
    await queue.waitForResult(old.id, { timeout: 5000 });
    await sleep(1100);
    const fresh = await queue.add('page', {});
    await queue.waitForResult(fresh.id, { timeout: 5000 });
    expect(await queue.getJob(old.id)).toBeNull();
    expect((await queue.getJob(fresh.id))?.state).toBe('completed');
  });

  it('applies removeOnFail to failed jobs', async () => {
    const queue = h.queue('q', { defaultJobOptions: { removeOnFail: 1, attempts: 1 } });
    const pool = h.pool(async () => {
      throw new Error('nope');
    });
    await pool.start();
    const a = await queue.add('page', {});
    await queue.waitForResult(a.id, { timeout: 5000 }).catch(() => {});
    const b = await queue.add('page', {});
    await queue.waitForResult(b.id, { timeout: 5000 }).catch(() => {});
    expect(await queue.getJob(a.id)).toBeNull();
    expect((await queue.getJob(b.id))?.state).toBe('failed');
  });

  it('keeps finished jobs bounded by default', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => 'ok');
    await pool.start();
    const job = await queue.add('page', {});
    await queue.waitForResult(job.id, { timeout: 5000 });
    const redis = rawClient();
    const stored = await redis.hget(queueKeysOf(queue).job(job.id), 'kc');
    await redis.quit();
    expect(stored).toBe('1000:86400');
  });
});
