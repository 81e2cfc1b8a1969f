import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { sleep, until } from '../support/redis.js';

describe('inspecting a queue', () => {
  const h = useHarness('inspect');

  it('lists jobs by state, waiting in the order they will run', async () => {
    const queue = h.queue();
    const jobs = await queue.addBulk(
      Array.from({ length: 5 }, (_, i) => ({ name: 'p', data: { i } })),
    );
    await queue.add('p', { later: true }, { delay: 60_000 });
    const waiting = await queue.getJobs('waiting');
    expect(waiting.map((j) => j.id)).toEqual(jobs.map((j) => j.id));
    expect((await queue.getJobs('waiting', { start: 1, limit: 2 })).map((j) => j.id)).toEqual(
      jobs.slice(1, 3).map((j) => j.id),
    );
    const delayed = await queue.getJobs('delayed');
    expect(delayed).toHaveLength(1);
    expect(delayed[0]).toMatchObject({ state: 'delayed', data: { later: true } });
    await expect(queue.getJobs('lost' as never)).rejects.toThrow(/Expected `state` to be one of/);
  });

  it('lists failed jobs most recent first, with their errors', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (job) => {
        throw new Error(`boom ${job.data.i}`);
      },
      { attempts: 1, concurrency: 1 },
    );
    await pool.start();
    for (let i = 0; i < 3; i++) {
      const job = await queue.add('p', { i });
      await queue.waitForResult(job.id, { timeout: 5000 }).catch(() => {});
    }
    const failed = await queue.getJobs('failed', { limit: 2 });
    expect(failed.map((j) => j.error?.message)).toEqual(['boom 2', 'boom 1']);
  });

  it('lists active jobs with their lease deadline', async () => {
    const queue = h.queue();
    const pool = h.pool(async () => {
      await sleep(500);
      return 'ok';
    });
    await pool.start();
    const job = await queue.add('p', {});
    await until(async () => (await queue.getJobs('active')).length === 1, 'the job to be active');
    const [active] = await queue.getJobs('active');
    expect(active).toMatchObject({ id: job.id, state: 'active', attempts: 1 });
    expect(active?.leaseExpiresAt).toBeGreaterThan(Date.now());
    // When the running attempt was claimed, read from its lease.
    expect(active?.processedAt).toBeGreaterThanOrEqual(active!.createdAt);
    expect(active?.processedAt).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('lists the pools working on the queue, from their heartbeats, until they close', async () => {
    const queue = h.queue();
    const a = h.pool(async () => 'a', { concurrency: 2 });
    const b = h.pool(async () => 'b', { concurrency: 3 });
    await a.start();
    await b.start();
    const pools = await queue.getPools();
    expect(pools.map((p) => p.concurrency).sort()).toEqual([2, 3]);
    expect(pools[0]).toMatchObject({ pid: process.pid, paused: false, active: 0 });
    expect(pools[0]?.lastSeenAgo).toBeLessThan(5000);
    await a.close();
    expect((await queue.getPools()).map((p) => p.concurrency)).toEqual([3]);
  });

  it('counts jobs completed and failed per minute', async () => {
    const queue = h.queue();
    const pool = h.pool(
      async (job) => {
        if (job.data.fail) throw new Error('no');
        return 'ok';
      },
      { attempts: 1 },
    );
    await pool.start();
    const jobs = await queue.addBulk([
      { name: 'p', data: {} },
      { name: 'p', data: {} },
      { name: 'p', data: { fail: true } },
    ]);
    await Promise.all(
      jobs.map((j) => queue.waitForResult(j.id, { timeout: 5000 }).catch(() => {})),
    );
    const metrics = await queue.getMetrics(2);
    expect(metrics.minutes).toHaveLength(2);
    const total = metrics.minutes.reduce((n, m) => ({ c: n.c + m.completed, f: n.f + m.failed }), {
      c: 0,
      f: 0,
    });
    expect(total).toEqual({ c: 2, f: 1 });
    expect(metrics.minutes[1]!.at - metrics.minutes[0]!.at).toBe(60_000);
  });

  it('reports how long a job waited before it started', async () => {
    const queue = h.queue();
    const job = await queue.add('p', {});
    await sleep(200);
    const pool = h.pool(async () => 'ok');
    const waited: number[] = [];
    pool.on('active', (e) => waited.push(e.waited));
    await pool.start();
    await queue.waitForResult(job.id, { timeout: 5000 });
    expect(waited[0]).toBeGreaterThanOrEqual(190);
  });
});
