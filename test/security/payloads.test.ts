import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError, Queue, WorkerPool } from '../../src/index.js';
import { poolFleet } from '../support/pool-processes.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, uniquePrefix } from '../support/redis.js';

/** Own `__proto__` and `constructor` keys, as JSON from the outside world makes them. */
const HOSTILE_JSON =
  '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},' +
  '"nested":{"__proto__":{"polluted":"yes"}},"list":[{"__proto__":{"polluted":"yes"}}],' +
  '"toString":"not a function","hasOwnProperty":1}';

function expectNoPollution(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.prototype.toString).toBeTypeOf('function');
  expect(Object.prototype.hasOwnProperty).toBeTypeOf('function');
}

describe('payloads are data only', () => {
  let server: RedisServer;
  const open: { close(): Promise<unknown> }[] = [];
  const queue = (options: { maxPayloadSize?: number } = {}) => {
    const q = new Queue('q', {
      connection: server.url,
      prefix: uniquePrefix('payload'),
      logger: false,
      ...options,
    });
    open.push(q);
    return q;
  };
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('carries __proto__ and constructor keys through add, handler, result and getJob without polluting prototypes', async () => {
    const prefix = uniquePrefix('payload-proto');
    const q = new Queue('q', { connection: server.url, prefix, logger: false });
    open.push(q);
    const pool = new WorkerPool(
      'q',
      async (job) => {
        // The handler sees the keys as plain data, and no polluted prototype.
        const data = job.data as Record<string, unknown>;
        return {
          echo: data,
          protoIsObject: Object.getPrototypeOf(data) === Object.prototype,
          ownProto: Object.hasOwn(data, '__proto__'),
          polluted: ({} as Record<string, unknown>).polluted !== undefined,
        };
      },
      { connection: server.url, prefix, logger: false, statsInterval: 0 },
    );
    open.push(pool);
    await pool.start();
    const data = JSON.parse(HOSTILE_JSON) as Record<string, unknown>;
    const job = await q.add('page', data, { jobId: '__proto__' });
    expect(job.id).toBe('__proto__');
    const result = (await q.waitForResult(job.id, { timeout: 10_000 })) as Record<string, unknown>;
    expect(result).toMatchObject({ protoIsObject: true, ownProto: true, polluted: false });
    expect(JSON.stringify(result.echo)).toBe(HOSTILE_JSON);
    const info = await q.getJob(job.id);
    expect(info?.state).toBe('completed');
    expect(JSON.stringify(info?.data)).toBe(HOSTILE_JSON);
    expect(JSON.stringify((info?.result as Record<string, unknown>).echo)).toBe(HOSTILE_JSON);
    expect(Object.hasOwn(info?.data as object, '__proto__')).toBe(true);
    expectNoPollution();
  });

  it('does not pollute a pool in another process either', async () => {
    const prefix = uniquePrefix('payload-child');
    const q = new Queue('q', { connection: server.url, prefix, logger: false });
    open.push(q);
    const fleet = poolFleet({ url: server.url, prefix, concurrency: 1 });
    try {
      await fleet.start();
      const batch = await q.addBatch([
        { name: 'page', data: JSON.parse(HOSTILE_JSON) as object },
        { name: '__proto__', data: JSON.parse(HOSTILE_JSON) as object },
      ]);
      const done = await q.waitForBatch(batch.id, { timeout: 10_000 });
      expect(done.completed).toBe(2);
      for (const item of done.items) {
        expect(item).toMatchObject({ state: 'completed', result: { polluted: false } });
      }
      expectNoPollution();
    } finally {
      await fleet.stopAll();
    }
  });

  it('stores strings that look like Lua, RESP or control characters verbatim, and runs none of them', async () => {
    const q = queue();
    const redis = rawClient(server.url);
    await redis.set('canary', 'alive');
    const data = {
      lua: "'); redis.call('FLUSHALL') --",
      lua2: ']] redis.call("FLUSHALL") [[',
      resp: '\r\n*1\r\n$8\r\nFLUSHALL\r\n',
      nul: 'a\u0000b',
      unicode: 'Ünïcødé 📚 \u2028\u2029',
      json: '{"__proto__":{"polluted":"yes"}}',
      braces: '{other-queue}:job:1',
    };
    const job = await q.add("page'); redis.call('FLUSHALL') --", data, {
      jobId: "id'); redis.call('FLUSHALL') --",
    });
    const info = await q.getJob(job.id);
    expect(info).toMatchObject({ name: "page'); redis.call('FLUSHALL') --", data });
    expect(await redis.get('canary')).toBe('alive');
    expect((await q.getCounts()).waiting).toBe(1);
    await redis.quit();
    expectNoPollution();
  });

  it('refuses an oversized payload at add(), stores nothing, and uses no job id', async () => {
    const limit = 1024;
    const q = queue({ maxPayloadSize: limit });
    // JSON of a string is the string plus two quotes.
    const exact = 'x'.repeat(limit - 2);
    expect((await q.add('page', exact)).id).toBe('1');
    const error = await q.add('page', `${exact}x`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE', size: limit + 1, limit });
    expect((error as Error).message).toBe(
      'Job data is 1025 bytes once serialised, over the limit of 1024 bytes (`maxPayloadSize`)',
    );
    // Bytes, not characters: 600 two-byte characters are over a 1024-byte limit.
    await expect(q.add('page', 'é'.repeat(600))).rejects.toMatchObject({ size: 1202 });
    // One oversized job refuses a whole bulk or batch, before anything is sent.
    const big = { name: 'page', data: 'y'.repeat(2000) };
    await expect(q.addBulk([{ name: 'page', data: 1 }, big])).rejects.toThrow(PayloadTooLargeError);
    await expect(q.addBatch([{ name: 'page', data: 1 }, big], { batchId: 'b1' })).rejects.toThrow(
      /jobs\[1\].*over the limit of 1024 bytes/,
    );
    expect(await q.getBatch('b1')).toBeNull();
    expect(await q.getCounts()).toMatchObject({ waiting: 1, delayed: 0 });
    // The next job still gets the next number: refused adds took none.
    expect((await q.add('page', 'small')).id).toBe('2');
  });

  it('refuses payloads over 1 MiB by default', async () => {
    const q = queue();
    const mib = 1024 * 1024;
    expect((await q.add('page', 'z'.repeat(mib - 2))).id).toBe('1');
    await expect(q.add('page', 'z'.repeat(mib - 1))).rejects.toMatchObject({
      code: 'ERR_PAYLOAD_TOO_LARGE',
      size: mib + 1,
      limit: mib,
    });
  });
});
