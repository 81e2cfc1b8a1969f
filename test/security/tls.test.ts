import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool, type ConnectionOption, type QueueOptions } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { memoryLogger, uniquePrefix } from '../support/redis.js';
import { makeTestCerts, tlsServerArgs, type TestCerts } from '../support/tls.js';

const PASSWORD = 'tls-S3cret-pw';

describe('TLS: redis-server --tls-port with a self-signed certificate', () => {
  let certs: TestCerts;
  let server: RedisServer;
  const clients: Redis[] = [];

  beforeAll(async () => {
    certs = await makeTestCerts();
    // TLS only (no plain-text port), and a password on top.
    server = await startRedisServer({
      tls: true,
      args: [...tlsServerArgs(certs), '--requirepass', PASSWORD],
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
    certs?.remove();
  });

  async function roundTrip(connection: ConnectionOption, queueOptions: Partial<QueueOptions> = {}) {
    const prefix = uniquePrefix('tls');
    const logger = memoryLogger();
    const queue = new Queue('q', { connection, prefix, logger, ...queueOptions });
    const pool = new WorkerPool('q', async (job) => ({ echo: job.data }), {
      connection,
      prefix,
      logger,
      statsInterval: 0,
    });
    try {
      await pool.start();
      const job = await queue.add('page', { secret: 'over TLS' });
      expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toEqual({
        echo: { secret: 'over TLS' },
      });
      const text = logger.lines.join('\n');
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('rediss://');
      return logger.lines;
    } finally {
      await pool.close();
      await queue.close();
    }
  }

  it('works with ioredis options carrying the CA', async () => {
    const lines = await roundTrip({
      host: '127.0.0.1',
      port: server.port,
      password: PASSWORD,
      tls: { ca: certs.ca },
    });
    expect(lines).toContain('info [Worker Pool] Redis connection successful.');
  });

  it('works with a client made from a rediss:// URL and the CA', async () => {
    const client = new Redis(`rediss://:${PASSWORD}@127.0.0.1:${server.port}`, {
      tls: { ca: certs.ca },
      maxRetriesPerRequest: null,
    });
    client.on('error', () => {});
    clients.push(client);
    await roundTrip(client);
    // The library never closes a client it was given.
    expect(client.status).toBe('ready');
  });

  it('works with tls: { rejectUnauthorized: false } when no CA is at hand', async () => {
    await roundTrip({
      host: '127.0.0.1',
      port: server.port,
      password: PASSWORD,
      tls: { rejectUnauthorized: false },
    });
  });

  it('fails start() when plain text is spoken to the TLS port', async () => {
    const pool = new WorkerPool('q', async () => 'never', {
      connection: `redis://:${PASSWORD}@127.0.0.1:${server.port}`,
      prefix: uniquePrefix('tls-plain'),
      logger: false,
      statsInterval: 0,
    });
    try {
      await expect(pool.start()).rejects.toThrow(/^Could not connect to Redis at 127\.0\.0\.1/);
    } finally {
      await pool.close();
    }
  }, 30_000);
});
