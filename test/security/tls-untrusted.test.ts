// start() against a TLS Redis whose certificate the client cannot verify rejects
// with a clear ERR_REDIS_UNAVAILABLE error, and the process lives on. It did not
// (a bug): start() opened its two connections at once and, when the first failed,
// disconnected the second in the middle of its TLS handshake; the server's alert
// then surfaced as an 'error' on a socket nobody listened to, an uncaught
// exception. The pool now opens the second connection only once the first is up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool, WorkerPoolError } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { memoryLogger, uniquePrefix } from '../support/redis.js';
import { makeTestCerts, tlsServerArgs, type TestCerts } from '../support/tls.js';

const PASSWORD = 'tls-S3cret-pw';

describe('TLS with a certificate the client cannot verify', () => {
  let certs: TestCerts;
  let server: RedisServer;

  beforeAll(async () => {
    certs = await makeTestCerts();
    server = await startRedisServer({
      tls: true,
      args: [...tlsServerArgs(certs), '--requirepass', PASSWORD],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    certs?.remove();
  });

  it('fails start() with a clear error for a certificate it cannot verify, without echoing the URL', async () => {
    // A bare rediss:// URL verifies against the system CAs, which do not know the test CA.
    const logger = memoryLogger();
    const pool = new WorkerPool('q', async () => 'never', {
      connection: `rediss://:${PASSWORD}@127.0.0.1:${server.port}`,
      prefix: uniquePrefix('tls-bad'),
      logger,
      statsInterval: 0,
    });
    try {
      const error = await pool.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkerPoolError);
      expect((error as WorkerPoolError).code).toBe('ERR_REDIS_UNAVAILABLE');
      expect((error as Error).message).toMatch(
        new RegExp(
          `^Could not connect to Redis at TLS 127\\.0\\.0\\.1:${server.port}: .*(certificate|self.signed)`,
          'i',
        ),
      );
      expect((error as Error).message).not.toContain(PASSWORD);
      expect(logger.lines.join('\n')).not.toContain(PASSWORD);
    } finally {
      await pool.close();
    }
  }, 30_000);
});
