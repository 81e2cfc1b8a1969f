import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** A Redis Cluster of masters on loopback, each node its own `redis-server` process. */
export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** Startup nodes for ioredis `Cluster`. */
  readonly startupNodes: { host: string; port: number }[];
  /** The node serving `slot`. */
  nodeForSlot(slot: number): Promise<RedisServer>;
  /** `CLUSTER KEYSLOT` of a key, as the cluster computes it. */
  keySlot(key: string): Promise<number>;
  /** Stop every node by PID and remove their folders. */
  stop(): Promise<void>;
}

async function clusterInfo(port: number): Promise<Record<string, string>> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    await client.connect();
    const text = (await client.cluster('INFO')) as string;
    return Object.fromEntries(
      text
        .split(/\r?\n/)
        .filter(Boolean)
        .map((line) => line.split(':') as [string, string]),
    );
  } finally {
    client.disconnect();
  }
}

/**
 * Start `masters` cluster-enabled `redis-server` nodes on free loopback ports
 * (each with an explicit cluster bus port, so no port + 10000 arithmetic can
 * land outside the range), join them with `redis-cli --cluster create`, and
 * wait until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const busPort = await freePort();
      nodes.push(
        await startRedisServer({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-port',
            String(busPort),
            '--cluster-node-timeout',
            '5000',
          ],
        }),
      );
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    const deadline = Date.now() + 30_000;
    for (const node of nodes) {
      while ((await clusterInfo(node.port)).cluster_state !== 'ok') {
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} never became ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }

  const admin = () => {
    const client = new Redis({ host: '127.0.0.1', port: nodes[0]!.port, maxRetriesPerRequest: 2 });
    client.on('error', () => {});
    return client;
  };
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    async keySlot(key) {
      const client = admin();
      try {
        return Number(await client.cluster('KEYSLOT', key));
      } finally {
        client.disconnect();
      }
    },
    async nodeForSlot(slot) {
      const client = admin();
      try {
        const ranges = await client.cluster('SLOTS');
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        const node = nodes.find((n) => n.port === Number(range?.[2]?.[1]));
        if (!node) throw new Error(`no node serves slot ${slot}`);
        return node;
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/**
 * A Cluster of `masters` nodes for one test file: started before its tests,
 * stopped after them, with ioredis Cluster clients that are all closed too.
 */
export function useRedisCluster(masters = 3): {
  readonly cluster: RedisCluster;
  newClient(): Cluster;
} {
  let started: RedisCluster | undefined;
  const clients: Cluster[] = [];
  beforeAll(async () => {
    started = await startRedisCluster(masters);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
    await started?.stop();
  });
  return {
    get cluster() {
      if (!started) throw new Error('the Cluster is not started yet');
      return started;
    },
    newClient() {
      const client = new Cluster(this.cluster.startupNodes, {
        redisOptions: { maxRetriesPerRequest: null },
      });
      // Node failovers and slot moves are what these tests cause: errors are expected here.
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
  };
}
