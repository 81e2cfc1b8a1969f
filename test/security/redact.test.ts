import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool, WorkerPoolError } from '../../src/index.js';
import { memoryLogger, rawClient, sleep, until } from '../support/redis.js';
import { hasRedisServer, startRedisServer, type RedisServer } from '../support/redis-server.js';

const PASSWORD = 'Admin-S3cret-pw-7f3a';
const WRONG = 'Wr0ng-S3cret-pw-9c1e';
const NEXT = 'N3xt-S3cret-pw-2b8d';

/** Everything a logger could print of an error: util.inspect, deep, and JSON of every own property. */
function dump(value: unknown): string {
  const seen = new Set<unknown>();
  const plain = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (seen.has(v)) return '[seen]';
    seen.add(v);
    if (Array.isArray(v)) return v.map(plain);
    const out: Record<string, unknown> = {};
    for (const key of Object.getOwnPropertyNames(v))
      out[key] = plain((v as Record<string, unknown>)[key]);
    return out;
  };
  return `${inspect(value, { depth: 10, showHidden: true })}\n${JSON.stringify(plain(value))}`;
}

function expectNoSecret(text: string, ...secrets: string[]) {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe.skipIf(!hasRedisServer())('Redis passwords never ride on error objects', () => {
  let server: RedisServer;
  const url = (password: string) => `redis://default:${password}@127.0.0.1:${server.port}`;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--requirepass', PASSWORD] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a wrong password: the ERR_REDIS_UNAVAILABLE cause, error events, add() rejections and logs', async () => {
    const logger = memoryLogger();
    const events: unknown[] = [];
    const pool = new WorkerPool('pages', async () => 'ok', {
      connection: url(WRONG),
      logger,
      statsInterval: 0,
    });
    pool.on('error', (event) => events.push(event));
    const queue = new Queue('pages', { connection: url(WRONG), logger });
    try {
      const started = await pool.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(started).toBeInstanceOf(WorkerPoolError);
      expect((started as WorkerPoolError).code).toBe('ERR_REDIS_UNAVAILABLE');
      // The cause is ioredis' error, still there to read, with its command but not the password.
      const cause = (started as Error).cause as { message: string; command?: { name: string } };
      expect(cause.message).toMatch(/WRONGPASS/);
      expect(cause.command?.name).toBe('hello');
      expectNoSecret(dump(started), WRONG);

      const added = await queue.add('page', {}).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((added as Error).message).toMatch(/WRONGPASS/);
      expectNoSecret(dump(added), WRONG);
      expectNoSecret(dump(events), WRONG);
      expectNoSecret(logger.lines.join('\n'), WRONG);
    } finally {
      await pool.close();
      await queue.close();
    }
  }, 30_000);

  it('a server that drops every connection and comes back asking for another password', async () => {
    const logger = memoryLogger();
    const events: { error: Error }[] = [];
    const pool = new WorkerPool('pages', async () => 'ok', {
      connection: url(PASSWORD),
      logger,
      statsInterval: 0,
      pollInterval: 100,
    });
    pool.on('error', (event) => events.push(event));
    const queue = new Queue('pages', { connection: url(PASSWORD), logger });
    // A listener of the user's on the Queue's own client sees what ioredis emits (after the library's).
    const clientErrors: Error[] = [];
    queue.client.on('error', (error: Error) => clientErrors.push(error));
    const admin = rawClient(url(PASSWORD));
    try {
      await pool.start();
      await queue.add('page', {});
      // Every reconnection's HELLO 3 AUTH default <password> now fails.
      await admin.config('SET', 'requirepass', NEXT);
      await admin.auth(NEXT);
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await until(
        () => clientErrors.some((e) => /WRONGPASS/.test(e.message)) && events.length > 0,
        'the refused reconnections to be reported',
        10_000,
      );
      await sleep(300); // a few more reconnection attempts
      const refused = clientErrors.find((e) => /WRONGPASS/.test(e.message))!;
      expect((refused as Error & { command?: { name: string } }).command?.name).toBe('hello');
      expectNoSecret(dump(clientErrors), PASSWORD, NEXT);
      expectNoSecret(dump(events), PASSWORD, NEXT);
      expectNoSecret(logger.lines.join('\n'), PASSWORD, NEXT);
    } finally {
      await admin.config('SET', 'requirepass', PASSWORD);
      await pool.close({ force: true });
      await queue.close();
      admin.disconnect();
    }
  }, 30_000);
});
