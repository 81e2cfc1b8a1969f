import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Queue, WorkerPool } from '../../src/index.js';
import { useRedisCluster } from '../support/cluster.js';
import { sleep, uniquePrefix, until } from '../support/redis.js';

/** A plain client to one node. */
function nodeClient(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 2 });
  client.on('error', () => {});
  return client;
}

describe('Redis Cluster: a live queue whose slot migrates', () => {
  const env = useRedisCluster(3);
  const newClient = () => env.newClient();

  it('loses nothing and leaves nothing stuck while its keys move to another node', async () => {
    const prefix = uniquePrefix('reshard');
    const name = 'pages';
    const slot = await env.cluster.keySlot(`${prefix}:{${name}}:wait`);
    const source = await env.cluster.nodeForSlot(slot);
    const target = env.cluster.nodes.find((n) => n.port !== source.port);
    if (!target) throw new Error('no other node');
    const src = nodeClient(source.port);
    const dst = nodeClient(target.port);
    const srcId = String(await src.cluster('MYID'));
    const dstId = String(await dst.cluster('MYID'));

    const queue = new Queue(name, { connection: newClient(), prefix, logger: false });
    const errors: string[] = [];
    const pools = [0, 1].map(() => {
      const pool = new WorkerPool(
        name,
        async (job) => {
          await sleep(2);
          return `done ${job.id}`;
        },
        {
          connection: newClient(),
          prefix,
          logger: false,
          concurrency: 10,
          statsInterval: 0,
          leaseDuration: 3000,
        },
      );
      pool.on('error', ({ error }) => errors.push(error.message));
      return pool;
    });
    const total = 3000;
    const added = await queue.addBulk(
      Array.from({ length: total }, (_, i) => ({
        name: 'page',
        data: { i },
        opts: { removeOnComplete: false },
      })),
    );
    await Promise.all(pools.map((p) => p.start()));
    await until(async () => (await queue.getCounts()).completed > 200, 'some jobs done', 20_000);

    // Migrate the slot by hand, a few keys at a time, while the pools work.
    await dst.cluster('SETSLOT', slot, 'IMPORTING', srcId);
    await src.cluster('SETSLOT', slot, 'MIGRATING', dstId);
    for (;;) {
      const keys = (await src.cluster('GETKEYSINSLOT', slot, 5)) as string[];
      if (keys.length === 0) break;
      await src.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'REPLACE', 'KEYS', ...keys);
      await sleep(1);
    }
    for (const node of env.cluster.nodes) {
      const client = nodeClient(node.port);
      await client.cluster('SETSLOT', slot, 'NODE', dstId);
      client.disconnect();
    }
    src.disconnect();
    dst.disconnect();

    await until(
      async () => {
        const c = await queue.getCounts();
        return c.completed + c.failed === total && c.active === 0 && c.waiting === 0;
      },
      'every job to finish',
      60_000,
    );
    const counts = await queue.getCounts();
    expect(counts).toMatchObject({
      completed: total,
      failed: 0,
      waiting: 0,
      active: 0,
      delayed: 0,
    });
    for (const job of [added[0], added[1500], added[2999]]) {
      expect(await queue.waitForResult(job?.id ?? '', { timeout: 5000 })).toBe(`done ${job?.id}`);
    }
    await Promise.all(pools.map((p) => p.close()));
    await queue.close();
    expect(errors.filter((e) => !/TRYAGAIN|ASK|MOVED/.test(e))).toEqual([]);
  }, 120_000);
});
