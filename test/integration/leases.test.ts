import { describe, expect, it } from 'vitest';
import { JobFailedError } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { startPoolProcess } from '../support/pool-processes.js';
import { rawClient, redisUrl, sleep, until } from '../support/redis.js';

describe('leases and crash recovery', () => {
  const h = useHarness('lease');

  it('renews the lease of a job that runs longer than leaseDuration, so no other pool takes it', async () => {
    const queue = h.queue();
    let runs = 0;
    const make = () =>
      h.pool(
        async () => {
          runs++;
          await sleep(900);
          return 'one run';
        },
        { leaseDuration: 200, pollInterval: 50 },
      );
    const [a, b] = [make(), make()];
    const stalled: string[] = [];
    a.on('stalled', ({ jobId }) => stalled.push(jobId));
    b.on('stalled', ({ jobId }) => stalled.push(jobId));
    await a.start();
    await b.start();
    const job = await queue.add('page', {});
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('one run');
    expect(runs).toBe(1);
    expect(stalled).toEqual([]);
    expect((await queue.getJob(job.id))?.attempts).toBe(1);
  });

  it('takes over the job of a pool killed with SIGKILL once its lease expires, as a stalled attempt', async () => {
    const queue = h.queue();
    const child = await startPoolProcess({ url: redisUrl(), prefix: h.prefix, leaseDuration: 400 });
    const job = await queue.add('page', { ms: 60_000 });
    await child.waitFor((m) => m.type === 'started' && m.jobId === job.id);
    expect((await queue.getJob(job.id))?.state).toBe('active');
    await child.kill();

    const rescuer = h.pool(async (_job, { attempt }) => `rescued on attempt ${attempt}`, {
      pollInterval: 50,
    });
    const stalled: { jobId: string; outcome: string }[] = [];
    rescuer.on('stalled', (e) => stalled.push(e));
    await rescuer.start();
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('rescued on attempt 2');
    expect(stalled).toEqual([{ jobId: job.id, name: 'page', outcome: 'retry' }]);
    expect(rescuer.stats().stalled).toBe(1);
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ state: 'completed', attempts: 2 });
  });

  it('refuses the late result of a pool whose lease expired while its handler blocked the event loop', async () => {
    const queue = h.queue();
    const slow = await startPoolProcess({
      url: redisUrl(),
      prefix: h.prefix,
      leaseDuration: 300,
      tag: 'slow',
    });
    const job = await queue.add('page', { blockMs: 2000 });
    await slow.waitFor((m) => m.type === 'started' && m.jobId === job.id);

    // The slow pool's event loop is blocked: it cannot renew, and its lease runs out.
    const other = h.pool(async () => ({ tag: 'other' }), { pollInterval: 50 });
    await other.start();
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toEqual({ tag: 'other' });

    // When the slow handler returns, its report carries a stale token and is refused.
    const refused = await slow.waitFor((m) => m.type === 'leaseLost' && m.jobId === job.id);
    expect(refused.attempt).toBe(1);
    expect(slow.messages.some((m) => m.type === 'completed')).toBe(false);
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ state: 'completed', result: { tag: 'other' }, attempts: 2 });
    await slow.terminate();
  });

  it('fails a stalled job that has no attempts left', async () => {
    const queue = h.queue();
    const child = await startPoolProcess({ url: redisUrl(), prefix: h.prefix, leaseDuration: 300 });
    const job = await queue.add('page', { ms: 60_000 }, { attempts: 1 });
    await child.waitFor((m) => m.type === 'started' && m.jobId === job.id);
    await child.kill();
    const rescuer = h.pool(async () => 'never runs', { pollInterval: 50 });
    const stalled: { outcome: string }[] = [];
    rescuer.on('stalled', (e) => stalled.push(e));
    await rescuer.start();
    const error = await queue.waitForResult(job.id, { timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).jobError).toMatchObject({
      name: 'StalledJobError',
      code: 'ERR_JOB_STALLED',
    });
    expect(stalled).toEqual([{ jobId: job.id, name: 'page', outcome: 'failed' }]);
  });

  it('shares a queue between pools in two processes; every job runs once and both work', async () => {
    const queue = h.queue();
    const children = await Promise.all(
      ['a', 'b'].map((tag) =>
        startPoolProcess({ url: redisUrl(), prefix: h.prefix, concurrency: 4, tag }),
      ),
    );
    const jobs = await queue.addBulk(
      Array.from({ length: 200 }, () => ({ name: 'page', data: { ms: 5 } })),
    );
    const results = (await Promise.all(
      jobs.map((j) => queue.waitForResult(j.id, { timeout: 30_000 })),
    )) as {
      tag: string;
      id: string;
    }[];
    expect(results.map((r) => r.id)).toEqual(jobs.map((j) => j.id));
    const byTag = { a: 0, b: 0 } as Record<string, number>;
    for (const r of results) byTag[r.tag] = (byTag[r.tag] ?? 0) + 1;
    expect(byTag.a).toBeGreaterThan(0);
    expect(byTag.b).toBeGreaterThan(0);
    const redis = rawClient();
    const runs = await redis.hgetall(`${h.prefix}:runs`);
    await redis.quit();
    expect(Object.keys(runs)).toHaveLength(200);
    expect(Object.values(runs).every((n) => n === '1')).toBe(true);
    expect(await Promise.all(children.map((c) => c.terminate()))).toEqual([0, 0]);
  });

  it('lets any pool move expired leases, even one that is busy with other work', async () => {
    const queue = h.queue();
    const child = await startPoolProcess({ url: redisUrl(), prefix: h.prefix, leaseDuration: 300 });
    const stuck = await queue.add('page', { ms: 60_000 });
    await child.waitFor((m) => m.type === 'started' && m.jobId === stuck.id);
    await child.kill();
    // A pool that keeps claiming (finish-and-claim calls) reclaims on the way.
    const pool = h.pool(
      async () => {
        await sleep(20);
        return 'ok';
      },
      { concurrency: 1, pollInterval: 60_000 },
    );
    await pool.start();
    const filler = await queue.addBulk(
      Array.from({ length: 40 }, () => ({ name: 'page', data: {} })),
    );
    await Promise.all(filler.map((j) => queue.waitForResult(j.id, { timeout: 20_000 })));
    await until(
      async () => (await queue.getJob(stuck.id))?.state === 'completed',
      'the stuck job to complete',
      20_000,
    );
  });
});
