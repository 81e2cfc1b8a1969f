import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { poolFleet, type PoolProcess, type PoolEvent } from '../support/pool-processes.js';
import { checkInvariants, type RunResult } from '../support/invariants.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, sleep, uniquePrefix, until } from '../support/redis.js';

/** Attempts of `pid` that had started and not reported anything when it died. */
function inFlight(events: readonly PoolEvent[], pid: number): Map<string, number> {
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.pid !== pid || e.jobId === undefined) continue;
    if (e.type === 'started') open.set(e.jobId, e.attempt ?? 0);
    else if (['completed', 'retrying', 'failed', 'leaseLost'].includes(e.type))
      open.delete(e.jobId);
  }
  return open;
}

describe('worker crash: pool processes killed with SIGKILL, again and again', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('completes every job; the jobs of killed processes are reclaimed after their lease as stalled', async () => {
    const prefix = uniquePrefix('crash');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const fleet = poolFleet({
      url: server.url,
      prefix,
      concurrency: 4,
      leaseDuration: 1000,
      pollInterval: 200,
    });
    try {
      let generation = 0;
      const live: PoolProcess[] = [];
      for (let i = 0; i < 3; i++) live.push(await fleet.start({ tag: `gen${generation++}` }));

      const total = 600;
      const added = await queue.addBulk(
        Array.from({ length: total }, (_, i) => ({
          name: 'page',
          data: { ms: 50 + randomInt(151), index: i },
          // Enough attempts that repeated kills cannot use a job's budget up; keep every result to check.
          opts: { attempts: 25, removeOnComplete: false },
        })),
      );
      const ids = added.map((j) => j.id);

      // Kill a pool that is in the middle of jobs, start a replacement, again and again.
      const stranded = new Map<string, { pid: number; attempt: number }>();
      const killed = new Set<number>();
      for (let kill = 0; kill < 8; kill++) {
        await sleep(300 + randomInt(500));
        const counts = await queue.getCounts();
        if (counts.waiting === 0 && kill >= 3) break;
        const busy = live.filter((p) => inFlight(fleet.events, p.pid).size > 0);
        const victim = (busy.length > 0 ? busy : live)[randomInt(busy.length || live.length)]!;
        await victim.kill();
        killed.add(victim.pid);
        for (const [jobId, attempt] of inFlight(fleet.events, victim.pid))
          stranded.set(jobId, { pid: victim.pid, attempt });
        live.splice(live.indexOf(victim), 1);
        live.push(await fleet.start({ tag: `gen${generation++}` }));
      }

      await until(
        async () => {
          const c = await queue.getCounts();
          return c.completed + c.failed === total;
        },
        'every job to finish',
        90_000,
      ).catch(async (error: unknown) => {
        const types: Record<string, number> = {};
        for (const e of fleet.events) types[e.type] = (types[e.type] ?? 0) + 1;
        console.log(
          await queue.getCounts(),
          types,
          fleet.events.filter((e) => e.type === 'error').slice(0, 10),
        );
        throw error;
      });

      const report = await checkInvariants(queue, ids, fleet.events);
      expect(report.problems).toEqual([]);
      expect(report.completed).toBe(total);
      expect(killed.size).toBeGreaterThanOrEqual(3);
      expect(stranded.size).toBeGreaterThan(0);

      // Each job a killed process was running was taken over once its lease ran out, as a
      // stalled attempt (unless its result reached Redis just before the kill).
      const problems: string[] = [];
      for (const [jobId, { pid, attempt }] of stranded) {
        const info = await queue.getJob(jobId);
        const result = info?.result as RunResult | undefined;
        if (result?.pid === pid && result.attempt === attempt) continue;
        if (!info || info.attempts <= attempt || info.error?.code !== 'ERR_JOB_STALLED') {
          problems.push(`job ${jobId} of killed ${pid}: ${JSON.stringify(info)}`);
        }
      }
      expect(problems).toEqual([]);
      expect(report.stalled).toBeGreaterThan(0);
      expect(
        fleet.events.filter((e) => e.type === 'stalled').every((e) => e.outcome === 'retry'),
      ).toBe(true);

      // At-least-once: every job ran; the ones that ran more than once are the ones a crash (or a
      // lost lease) interrupted.
      const redis = rawClient(server.url);
      const runs = await redis.hgetall(`${prefix}:runs`);
      await redis.quit();
      expect(ids.every((id) => Number(runs[id]) >= 1)).toBe(true);
      const twice = ids.filter((id) => Number(runs[id]) > 1);
      const interrupted = new Set([
        ...stranded.keys(),
        ...fleet.events
          .filter((e) => e.type === 'stalled' || e.type === 'leaseLost')
          .map((e) => e.jobId),
      ]);
      expect(twice.filter((id) => !interrupted.has(id))).toEqual([]);
      console.log(
        `[worker crash] ${total} jobs, ${killed.size} kills, ${stranded.size} jobs stranded, ` +
          `${report.stalled} stalled events, ${twice.length} ran twice, ${report.leaseLost} late reports refused`,
      );
    } finally {
      await fleet.stopAll();
      await queue.close();
    }
  }, 150_000);
});
