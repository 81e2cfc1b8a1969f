// A batch's `then` job is added by the script that finishes the batch's last
// item. Redis runs a script whole or not at all, so a pool SIGKILLed around
// that call either finished the batch (and added the job) or left the item
// to be reclaimed and finished by another pool; and a call resent after a
// lost reply is a replay that changes nothing. Either way: one then job.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool } from '../../src/index.js';
import { queueKeysOf } from '../../src/internal.js';
import { poolFleet } from '../support/pool-processes.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, sleep, uniquePrefix, until } from '../support/redis.js';

describe('a batch then job, across crashes and resent calls', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** The then job of each batch, once it completed: its id and who ran it. */
  async function thenJobsCompleted(queue: Queue, batchIds: readonly string[]) {
    const done: { id: string; parentBatchId: string | undefined }[] = [];
    for (const batchId of batchIds) {
      const id = (await queue.getBatch(batchId))?.thenJobId;
      const info = id === undefined ? null : await queue.getJob(id);
      if (info?.state !== 'completed') return undefined;
      done.push({ id: info.id, parentBatchId: info.parentBatchId });
    }
    return done;
  }

  it('adds it exactly once when the pool finishing the last item is SIGKILLed around its report', async () => {
    const prefix = uniquePrefix('then-kill');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const fleet = poolFleet({
      url: server.url,
      prefix,
      concurrency: 1,
      leaseDuration: 1000,
      pollInterval: 200,
    });
    try {
      const rounds = 6;
      const batchIds: string[] = [];
      let reportedBeforeKill = 0;
      for (let round = 0; round < rounds; round++) {
        const victim = await fleet.start({ tag: `victim${round}` });
        // One item of 200 ms: the kill lands just before, during or just after its report.
        const batch = await queue.addBatch([{ name: 'page', data: { ms: 200 } }], {
          batchId: `book-${round}`,
          then: { name: 'assemble', data: { round } },
        });
        batchIds.push(batch.id);
        const itemId = batch.jobs[0]?.id ?? '';
        await victim.waitFor((m) => m.type === 'started' && m.jobId === itemId, 'the item');
        await sleep(170 + randomInt(80));
        await victim.kill();
        if ((await queue.getBatch(batch.id))?.done) reportedBeforeKill++;
        const heir = await fleet.start({ tag: `heir${round}` });
        await until(
          async () => (await thenJobsCompleted(queue, [batch.id])) !== undefined,
          `the then job of ${batch.id}`,
          60_000,
        );
        await heir.stop();
      }
      const done = await thenJobsCompleted(queue, batchIds);
      expect(done?.map((d) => d.parentBatchId)).toEqual(batchIds);
      const redis = rawClient(server.url);
      const keys = queueKeysOf(queue);
      // Each round numbered two jobs: its item and its then job, never a second then job.
      const seq = Number(await redis.hget(keys.meta, 'seq'));
      const completed = await redis.zcard(keys.completed);
      const runs = await redis.hgetall(`${prefix}:runs`);
      await redis.quit();
      expect({ seq, completed }).toEqual({ seq: rounds * 2, completed: rounds * 2 });
      // Every then job ran (a then job is run at least once, like any job).
      for (const d of done ?? []) expect(Number(runs[d.id])).toBeGreaterThanOrEqual(1);
      console.log(
        `then-kill: ${reportedBeforeKill}/${rounds} reports reached Redis before the kill`,
      );
    } finally {
      await fleet.stopAll();
      await queue.close();
    }
  }, 300_000);

  it('adds it exactly once while every connection is killed again and again (resent calls)', async () => {
    const prefix = uniquePrefix('then-resend');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const batches = 30;
    const batchIds: string[] = [];
    for (let b = 0; b < batches; b++) {
      const batch = await queue.addBatch(
        Array.from({ length: 3 }, (_, k) => ({ name: 'page', data: { k } })),
        { then: { name: 'assemble', data: { b } } },
      );
      batchIds.push(batch.id);
    }
    const pools = ['a', 'b'].map(
      () =>
        new WorkerPool(
          'q',
          {
            page: async () => {
              await sleep(20 + randomInt(60));
              return 'page';
            },
            assemble: async () => 'book',
          },
          {
            connection: server.url,
            prefix,
            logger: false,
            statsInterval: 0,
            concurrency: 3,
            leaseDuration: 2000,
            attempts: 20,
          },
        ),
    );
    // Started before the killing starts: a pool whose first connection fails does not start.
    await Promise.all(pools.map((p) => p.start()));
    const admin = rawClient(server.url);
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        await sleep(randomInt(30));
        kills += Number(
          await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes').catch(() => 0),
        );
      }
    })();
    try {
      await until(
        async () => {
          try {
            return (await thenJobsCompleted(queue, batchIds)) !== undefined;
          } catch {
            return false; // this read's connection was killed: read again
          }
        },
        'every then job to complete',
        120_000,
      );
    } finally {
      killing = false;
      await killer;
    }
    try {
      expect(kills).toBeGreaterThan(10);
      const keys = queueKeysOf(queue);
      const seq = Number(await admin.hget(keys.meta, 'seq'));
      const thenJobs = (await thenJobsCompleted(queue, batchIds)) ?? [];
      expect(new Set(thenJobs.map((j) => j.id)).size).toBe(batches);
      // 3 items and one then job per batch, nothing more.
      expect(seq).toBe(batches * 4);
      expect(await admin.zcard(keys.completed)).toBe(batches * 4);
    } finally {
      await Promise.all(pools.map((p) => p.close({ force: true })));
      await queue.close();
      await admin.quit();
    }
  }, 300_000);
});
