import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  JobFailedError,
  Queue,
  RateLimitError,
  UnrecoverableError,
  WorkerPool,
} from '../../src/index.js';
import { useRedisCluster } from '../support/cluster.js';
import { poolFleet, type PoolEvent } from '../support/pool-processes.js';
import { checkInvariants } from '../support/invariants.js';
import { sleep, uniquePrefix, until } from '../support/redis.js';

describe('Redis Cluster: 3 masters on loopback', () => {
  const env = useRedisCluster(3);
  const newClient = () => env.newClient();

  it('runs several queues spread over the slots of every node, with pools and producers through ioredis Cluster, without a CROSSSLOT error', async () => {
    const prefix = uniquePrefix('cluster');
    // Two queues on each master: pick names until every node serves two.
    const names: string[] = [];
    const perNode = new Map<number, string[]>();
    for (let i = 0; names.length < 6 && i < 500; i++) {
      const name = `pages${i}`;
      const node = await env.cluster.nodeForSlot(
        await env.cluster.keySlot(`${prefix}:{${name}}:wait`),
      );
      const list = perNode.get(node.port) ?? [];
      if (list.length >= 2) continue;
      list.push(name);
      perNode.set(node.port, list);
      names.push(name);
    }
    expect(perNode.size).toBe(3);
    expect(names).toHaveLength(6);

    const errors: string[] = [];
    const events = new Map<string, PoolEvent[]>(names.map((n) => [n, []]));
    const producer = newClient();
    const queues = names.map(
      (name) => new Queue(name, { connection: producer, prefix, logger: false }),
    );
    const pools: WorkerPool[] = [];
    names.forEach((name, q) => {
      // Two pools per queue, each on a Cluster client of its own, as two processes would have.
      for (let k = 0; k < 2; k++) {
        const tag = 1000 + q * 10 + k;
        const pool = new WorkerPool(
          name,
          async (job, { attempt }) => {
            const data = job.data as { ms?: number; failFirst?: boolean; permanent?: boolean };
            if (data.permanent) throw new UnrecoverableError('bad request');
            if (data.failFirst && attempt === 1) throw new Error('flaky upstream');
            await sleep(data.ms ?? 5);
            return { pid: tag, attempt, id: job.id };
          },
          {
            connection: newClient(),
            prefix,
            concurrency: 4,
            leaseDuration: 5000,
            pollInterval: 500,
            backoff: { delay: 50, jitter: 0 },
            logger: false,
            statsInterval: 0,
          },
        );
        const list = events.get(name)!;
        pool.on('active', ({ job, attempt }) =>
          list.push({ type: 'started', pid: tag, jobId: job.id, attempt }),
        );
        for (const type of ['completed', 'retrying', 'failed', 'leaseLost'] as const) {
          pool.on(type, ({ job, attempt }) =>
            list.push({ type, pid: tag, jobId: job.id, attempt }),
          );
        }
        pool.on('error', ({ error, context }) =>
          errors.push(`${name} ${context}: ${error.message}`),
        );
        pools.push(pool);
      }
    });
    // And one pool in a child process, for the first queue, through a Cluster client of its own.
    const fleet = poolFleet({
      cluster: env.cluster.startupNodes,
      prefix,
      queue: names[0],
      concurrency: 3,
    });
    try {
      await Promise.all(pools.map((p) => p.start()));
      await fleet.start({ tag: 'child' });

      const ids = new Map<string, string[]>(names.map((n) => [n, []]));
      const mayFail = new Set<string>();
      await Promise.all(
        queues.map(async (queue, q) => {
          const mine = ids.get(names[q]!)!;
          const bulk = await queue.addBulk(
            Array.from({ length: 120 }, (_, i) => ({
              name: 'page',
              data: { ms: 5 + (i % 20), failFirst: i % 7 === 0 },
              opts: { removeOnComplete: false },
            })),
          );
          mine.push(...bulk.map((j) => j.id));
          const delayed = await queue.add(
            'page',
            { ms: 5 },
            { delay: 300, removeOnComplete: false },
          );
          mine.push(delayed.id);
          const custom = await queue.add(
            'page',
            {},
            { jobId: `own-${q}`, removeOnComplete: false },
          );
          mine.push(custom.id);
          const bad = await queue.add(
            'page',
            // `fail` for the child process's pool, which retries it until its attempts are spent.
            { permanent: true, fail: 'bad request' },
            { removeOnComplete: false },
          );
          mine.push(bad.id);
          mayFail.add(`${names[q]}/${bad.id}`);
          await expect(queue.waitForResult(bad.id, { timeout: 30_000 })).rejects.toThrow(
            JobFailedError,
          );
          // Back to waiting with retryJob(), and failed again by the same handler.
          await queue.retryJob(bad.id);
          await expect(queue.waitForResult(bad.id, { timeout: 30_000 })).rejects.toThrow(
            JobFailedError,
          );
          const batch = await queue.addBatch(
            Array.from({ length: 10 }, () => ({
              name: 'page',
              data: { ms: 10 },
              opts: { removeOnComplete: false },
            })),
          );
          mine.push(...batch.jobs.map((j) => j.id));
          const done = await queue.waitForBatch(batch.id, { timeout: 60_000 });
          expect(done).toMatchObject({ total: 10, completed: 10, failed: 0, done: true });
          expect(await queue.waitForResult(custom.id, { timeout: 30_000 })).toMatchObject({
            id: `own-${q}`,
            attempt: 1,
          });
          // Queue-wide pause and resume are MULTI transactions on the queue's slot.
          await queue.pause();
          expect(await queue.isPaused()).toBe(true);
          const paused = await queue.add('page', {}, { removeOnComplete: false });
          mine.push(paused.id);
          await sleep(200);
          expect((await queue.getJob(paused.id))?.state).toBe('waiting');
          await queue.resume();
          await queue.waitForResult(paused.id, { timeout: 30_000 });
          const removable = await queue.add('page', {}, { delay: 60_000 });
          await queue.removeJob(removable.id);
          expect(await queue.getJob(removable.id)).toBeNull();
          // The result cache: its entry is a key of the queue's slot, braces in the key or not.
          const cache = { key: `page:{v1}:${q}`, ttl: 60_000 };
          const first = await queue.add('page', {}, { cache, removeOnComplete: false });
          mine.push(first.id);
          const again = await queue.add('page', {}, { cache });
          expect(again).toMatchObject({ id: first.id, cached: true });
          const result = await queue.waitForResult(again.id, { timeout: 30_000 });
          expect(await queue.waitForResult(first.id, { timeout: 30_000 })).toEqual(result);
          expect((await queue.add('page', {}, { cache })).cached).toBe(true);
        }),
      );

      for (const [q, queue] of queues.entries()) {
        const name = names[q]!;
        const mine = ids.get(name)!;
        await until(
          async () => {
            const c = await queue.getCounts();
            return c.completed + c.failed === mine.length;
          },
          `every job of ${name} to finish`,
          60_000,
        );
        const list = events.get(name)!;
        if (q === 0) list.push(...fleet.events.map((e) => ({ ...e })));
        const report = await checkInvariants(queue, mine, list, {
          mayFail: new Set(mine.filter((id) => mayFail.has(`${name}/${id}`))),
        });
        expect(report.problems).toEqual([]);
        expect(report.failed).toBe(1);
      }
      // The child pool worked its queue too.
      expect(fleet.events.some((e) => e.type === 'completed')).toBe(true);

      // Every key of a queue lives in one slot; the queues live on all three nodes.
      const slotsByQueue = new Map<string, Set<number>>();
      for (const node of env.cluster.nodes) {
        const client = new Redis({ host: '127.0.0.1', port: node.port });
        client.on('error', () => {});
        const keys = await client.keys(`${prefix}:*`);
        for (const key of keys) {
          const name = /\{([^}]+)\}/.exec(key)?.[1] ?? key;
          const set = slotsByQueue.get(name) ?? new Set<number>();
          set.add(Number(await client.cluster('KEYSLOT', key)));
          slotsByQueue.set(name, set);
        }
        client.disconnect();
      }
      for (const name of names) expect(slotsByQueue.get(name)?.size).toBe(1);
      expect(errors.filter((e) => /CROSSSLOT/i.test(e))).toEqual([]);
      expect(errors).toEqual([]);
      expect(fleet.events.filter((e) => e.type === 'error')).toEqual([]);
    } finally {
      await fleet.stopAll();
      await Promise.all(pools.map((p) => p.close({ force: true })));
      await Promise.all(queues.map((q) => q.close()));
    }
  }, 120_000);

  it('runs grouped jobs through ioredis Cluster: turns, per-group limits, holds, pause and counts, in one slot', async () => {
    const prefix = uniquePrefix('cluster-groups');
    const producer = newClient();
    const queue = new Queue('grouped', { connection: producer, prefix, logger: false });
    const errors: string[] = [];
    let limited = false;
    const pools = [0, 1].map(() => {
      const pool = new WorkerPool(
        'grouped',
        async (job, { attempt }) => {
          if (job.group === 'model-a' && !limited) {
            limited = true;
            throw new RateLimitError(200, '429', { scope: 'group' });
          }
          const data = job.data as { failFirst?: boolean };
          if (data.failFirst && attempt === 1) throw new Error('flaky upstream');
          await sleep(5);
          return job.group ?? null;
        },
        {
          connection: newClient(),
          prefix,
          concurrency: 4,
          leaseDuration: 5000,
          pollInterval: 200,
          backoff: { delay: 50, jitter: 0 },
          group: { concurrency: 2, limiter: { max: 50, duration: 1000 } },
          logger: false,
          statsInterval: 0,
        },
      );
      pool.on('error', ({ error, context }) => errors.push(`${context}: ${error.message}`));
      return pool;
    });
    try {
      await Promise.all(pools.map((p) => p.start()));
      await queue.pauseGroup('later');
      const jobs = await queue.addBulk([
        ...['model-a', 'model-b', 'later'].flatMap((group) =>
          Array.from({ length: 15 }, (_, i) => ({
            name: 'page',
            data: { failFirst: i % 5 === 0 },
            opts: { group },
          })),
        ),
        ...Array.from({ length: 10 }, () => ({ name: 'page', data: {} })),
      ]);
      const delayed = await queue.add('page', {}, { group: 'model-b', delay: 200 });
      const batch = await queue.addBatch(
        Array.from({ length: 5 }, () => ({ name: 'page', data: {} })),
        { group: 'client-1' },
      );
      const removable = await queue.add('page', {}, { group: 'gone', delay: 60_000 });
      await queue.removeJob(removable.id);
      const running = jobs.filter((j) => j.group !== 'later');
      for (const job of [...running, delayed])
        await queue.waitForResult(job.id, { timeout: 30_000 });
      expect(await queue.waitForBatch(batch.id, { timeout: 30_000 })).toMatchObject({
        completed: 5,
      });
      expect(await queue.getGroupCounts('later')).toMatchObject({ waiting: 15, paused: true });
      await queue.resumeGroup('later');
      for (const job of jobs.filter((j) => j.group === 'later'))
        expect(await queue.waitForResult(job.id, { timeout: 30_000 })).toBe('later');
      expect(await queue.getGroupCounts('model-b')).toMatchObject({
        waiting: 0,
        delayed: 0,
        active: 0,
        completed: 16,
      });
      expect(limited).toBe(true);
      // Every key of the queue, the groups' included, lives in one slot.
      const slots = new Set<number>();
      for (const node of env.cluster.nodes) {
        const client = new Redis({ host: '127.0.0.1', port: node.port });
        client.on('error', () => {});
        for (const key of await client.keys(`${prefix}:*`))
          slots.add(Number(await client.cluster('KEYSLOT', key)));
        client.disconnect();
      }
      expect(slots.size).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.close({ force: true })));
      await queue.close();
    }
  }, 120_000);
});
