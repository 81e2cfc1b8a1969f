import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { sleep, until } from '../support/redis.js';

describe('pause and resume', () => {
  const h = useHarness('pause');

  it('stops one pool from claiming with pause(), running jobs going on, and resumes', async () => {
    const queue = h.queue();
    const done: string[] = [];
    const pool = h.pool(
      async (job) => {
        await sleep(50);
        done.push(job.id);
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
    pool.pause();
    expect(pool.isPaused).toBe(true);
    const second = await queue.add('page', {});
    await queue.waitForResult(first.id, { timeout: 5000 });
    await sleep(200);
    expect((await queue.getJob(second.id))?.state).toBe('waiting');
    pool.resume();
    await queue.waitForResult(second.id, { timeout: 5000 });
    expect(done).toEqual([first.id, second.id]);
  });

  it('pauses every pool on the queue with queue.pause(), and wakes them with resume()', async () => {
    const queue = h.queue();
    const pools = [h.pool(async () => 'a'), h.pool(async () => 'b')];
    await Promise.all(pools.map((p) => p.start()));
    await queue.pause();
    expect(await queue.isPaused()).toBe(true);
    const job = await queue.add('page', {});
    await sleep(300);
    expect((await queue.getJob(job.id))?.state).toBe('waiting');
    await queue.resume();
    expect(await queue.isPaused()).toBe(false);
    expect(['a', 'b']).toContain(await queue.waitForResult(job.id, { timeout: 5000 }));
  });
});
