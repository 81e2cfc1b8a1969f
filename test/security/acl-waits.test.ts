import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { rawClient, sleep, until } from '../support/redis.js';

const ADMIN_PASSWORD = 'admin-S3cret-pw';
const USER_PASSWORD = 'nowait-S3cret-pw';
const root = join(import.meta.dirname, '..', '..');

// Issue 15, bug 8: with an ACL user who may not follow the queue's events,
// every wait opened a connection that was refused and never closed: 20 waits
// left 21 connections, 19 after `queue.close()`, and the process never exited.
describe('waits refused by an ACL', () => {
  let server: RedisServer;
  let url: string;
  let admin: ReturnType<typeof rawClient>;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--requirepass', ADMIN_PASSWORD] });
    admin = rawClient(`redis://default:${ADMIN_PASSWORD}@127.0.0.1:${server.port}`);
    // Every command on the queue's keys, but neither pub/sub nor stream reads: no way to follow events.
    await admin.call(
      'ACL',
      'SETUSER',
      'nowait',
      'on',
      `>${USER_PASSWORD}`,
      'resetkeys',
      '~rwp-acl:{pages}:*',
      'resetchannels',
      '+@all',
      '-@pubsub',
      '-xread',
      '-xreadgroup',
    );
    url = `redis://nowait:${USER_PASSWORD}@127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });

  const connectionsOf = async (user: string) =>
    String(await admin.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.includes(` user=${user} `)).length;

  it('fails each wait once with NOPERM and keeps no connection open', async () => {
    const queue = new Queue('pages', { connection: url, prefix: 'rwp-acl', logger: false });
    try {
      const job = await queue.add('page', {});
      for (let i = 0; i < 20; i++) {
        const error = await queue.waitForResult(job.id, { timeout: 5000 }).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(error?.message).toMatch(/NOPERM/);
        expect(error).toMatchObject({ code: 'ERR_REDIS_REFUSED' });
        expect(inspect(error, { depth: 10 })).not.toContain(USER_PASSWORD);
      }
      // The queue's own connection, and at most the one a wait is closing.
      expect(await connectionsOf('nowait')).toBeLessThanOrEqual(2);
    } finally {
      await queue.close();
    }
    await until(
      async () => (await connectionsOf('nowait')) === 0,
      'every connection to close',
      2000,
    );
  });

  it('lets the process exit once the queue is closed', async () => {
    const script = `
      import { Queue } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      const queue = new Queue('pages', { connection: ${JSON.stringify(url)}, prefix: 'rwp-acl', logger: false });
      const job = await queue.add('page', {});
      let refused = 0;
      for (let i = 0; i < 20; i++) await queue.waitForResult(job.id).catch((e) => { if (/NOPERM/.test(e.message)) refused++; });
      await queue.close();
      console.log('refused ' + refused);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const code = await Promise.race([exited, sleep(15_000).then(() => 'still running')]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(out.trim()).toBe('refused 20');
    expect(code).toBe(0);
  }, 30_000);
});
