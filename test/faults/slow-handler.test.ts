import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { poolFleet } from '../support/pool-processes.js';
import { checkInvariants, type RunResult } from '../support/invariants.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, uniquePrefix, until } from '../support/redis.js';

describe('a handler that blocks the event loop past its lease', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('has its jobs taken over and run elsewhere; its late reports are refused, even while the new holder still runs', async () => {
    const prefix = uniquePrefix('slow');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const fleet = poolFleet({ url: server.url, prefix, leaseDuration: 400, pollInterval: 100 });
    try {
      // The stuck pool takes two jobs whose first attempt blocks its whole event loop for 3 s
      // each, one after the other (no lease renewal can run), far past the 400 ms lease.
      const stuck = await fleet.start({ tag: 'stuck', concurrency: 2 });
      const slowJobs = await queue.addBulk(
        Array.from({ length: 2 }, () => ({
          name: 'page',
          // Attempt 2, the taker's, runs 8 s: the late reports of attempt 1 (at about 3 s and
          // 6 s) reach Redis while the taker still holds the lease.
          data: { plan: [{ blockMs: 3000 }, { ms: 8000 }] },
          opts: { removeOnComplete: false },
        })),
      );
      await fleet.waitFor(
        (e) => e.type === 'started' && e.pid === stuck.pid,
        'a slow job to start on the stuck pool',
      );
      const taker = await fleet.start({ tag: 'taker', concurrency: 3 });
      for (const job of slowJobs) {
        await fleet.waitFor(
          (e) => e.type === 'started' && e.jobId === job.id && e.pid === taker.pid,
          `the taker to take job ${job.id} over`,
        );
      }

      // More work flows meanwhile, to both pools.
      const other = await queue.addBulk(
        Array.from({ length: 30 }, () => ({
          name: 'page',
          data: { ms: 30 },
          opts: { removeOnComplete: false },
        })),
      );

      // Each late report is refused, while the taker's attempt is still running...
      for (const job of slowJobs) {
        const refused = await fleet.waitFor(
          (e) => e.type === 'leaseLost' && e.jobId === job.id,
          `the late report of job ${job.id} to be refused`,
        );
        expect(refused).toMatchObject({ pid: stuck.pid, attempt: 1 });
        expect(
          fleet.events.some(
            (e) =>
              e.type === 'completed' &&
              e.jobId === job.id &&
              fleet.events.indexOf(e) < fleet.events.indexOf(refused),
          ),
        ).toBe(false);
      }
      // ... and the taker's result, reported after it, is accepted.
      const results = await Promise.all(
        slowJobs.map((j) => queue.waitForResult<string>(j.id, { timeout: 30_000 })),
      );
      for (const result of results as unknown as RunResult[])
        expect(result).toMatchObject({ pid: taker.pid, attempt: 2, tag: 'taker' });
      for (const job of slowJobs) {
        // The taker took over a stalled job: attempt 2, the stall recorded.
        expect(await queue.getJob(job.id)).toMatchObject({
          state: 'completed',
          attempts: 2,
          error: { code: 'ERR_JOB_STALLED' },
        });
      }
      await until(
        async () => (await queue.getCounts()).completed === slowJobs.length + other.length,
        'every job to complete',
        30_000,
      );

      // The stuck pool did not die of it: it goes on claiming and completing jobs.
      const since = fleet.events.length;
      const later = await queue.addBulk(
        Array.from({ length: 12 }, () => ({
          name: 'page',
          data: { ms: 400 },
          opts: { removeOnComplete: false },
        })),
      );
      await fleet.waitFor(
        (e) => e.type === 'completed' && e.pid === stuck.pid && fleet.events.indexOf(e) >= since,
        'the stuck pool to complete a job after its leases were lost',
      );
      await Promise.all(later.map((j) => queue.waitForResult(j.id, { timeout: 30_000 })));

      const ids = [...slowJobs, ...other, ...later].map((j) => j.id);
      const report = await checkInvariants(queue, ids, fleet.events);
      expect(report.problems).toEqual([]);
      expect(report.leaseLost).toBeGreaterThanOrEqual(slowJobs.length);
      expect((await stuck.stats()).leasesLost).toBeGreaterThanOrEqual(slowJobs.length);

      const redis = rawClient(server.url);
      const runs = await redis.hgetall(`${prefix}:runs`);
      await redis.quit();
      for (const job of slowJobs) expect(runs[job.id]).toBe('2');
    } finally {
      await fleet.stopAll();
      await queue.close();
    }
  }, 120_000);
});
