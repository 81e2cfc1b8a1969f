import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, WorkerPool } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { uniquePrefix, until } from '../support/redis.js';

const root = join(import.meta.dirname, '..', '..');

// Issue 15, suspected: a waiter that falls behind under load (its process
// stalled: a long GC, a busy event loop) had its pub/sub connection dropped by
// Redis for its output buffer, and the outcomes of jobs removed as they
// finished went with it. Here the waiting process is stopped (SIGSTOP) while
// 300 such jobs with 20 KB results finish, on a Redis whose pub/sub output
// limit is small enough to drop it.
describe('a waiting process that stalls under load', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer({
      args: ['--client-output-buffer-limit', 'pubsub 64kb 32kb 1'],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gets every outcome of jobs removed as they finished once it runs again', async () => {
    const prefix = uniquePrefix('stalled');
    const queue = new Queue('q', { connection: server.url, prefix, logger: false });
    const page = 'p'.repeat(20_000);
    let completed = 0;
    const pool = new WorkerPool('q', async (job) => ({ page, n: (job.data as { n: number }).n }), {
      connection: server.url,
      prefix,
      logger: false,
      concurrency: 20,
      statsInterval: 0,
    });
    pool.on('completed', () => completed++);
    try {
      const jobs = await queue.addBulk(
        Array.from({ length: 300 }, (_, n) => ({
          name: 'page',
          data: { n },
          opts: { removeOnComplete: true },
        })),
      );
      const script = `
        import { Queue } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
        const queue = new Queue('q', { connection: ${JSON.stringify(server.url)}, prefix: ${JSON.stringify(prefix)}, logger: false });
        const ids = ${JSON.stringify(jobs.map((job) => job.id))};
        const outcomes = Promise.allSettled(ids.map((id) => queue.waitForResult(id, { timeout: 60000 })));
        setTimeout(() => console.log('ready'), 500);
        const settled = await outcomes;
        const ok = settled.filter((o, n) => o.status === 'fulfilled' && o.value.n === n && o.value.page.length === 20000).length;
        const errors = [...new Set(settled.filter((o) => o.status === 'rejected').map((o) => o.reason.message.replace(/\\d+/g, 'N')))];
        console.log(JSON.stringify({ ok, errors }));
        await queue.close();
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        await until(() => out.includes('ready'), 'the waiter to be ready', 20_000);
        child.kill('SIGSTOP');
        await pool.start();
        await until(() => completed === 300, 'every job to complete', 30_000);
        child.kill('SIGCONT');
        expect(await exited).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      const summary = JSON.parse(out.split('\n').find((line) => line.startsWith('{')) ?? '{}');
      expect(summary).toEqual({ ok: 300, errors: [] });
    } finally {
      await pool.close({ force: true });
      await queue.close();
    }
  }, 90_000);
});
