// The process harness the fault tests, the soak and the benchmark share
// (test/support/pool-processes.ts): a dead child must fail a wait at once, with
// what happened, rather than leave a test to time out.
import { describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { startPoolProcess } from '../support/pool-processes.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

describe('the pool process harness', () => {
  it('runs a job in the child and reports it with the pid of the process that ran it', async () => {
    const prefix = uniquePrefix('harness');
    const queue = new Queue('q', { connection: redisUrl(), prefix, logger: false });
    const child = await startPoolProcess({ url: redisUrl(), prefix, tag: 'h1' });
    try {
      const job = await queue.add('page', { ms: 5 });
      const completed = await child.waitFor((m) => m.type === 'completed' && m.jobId === job.id);
      expect(completed).toMatchObject({
        pid: child.pid,
        result: { pid: child.pid, tag: 'h1', id: job.id, attempt: 1, polluted: false },
      });
      expect(await child.stats()).toMatchObject({ succeeded: 1 });
      expect(await child.stop()).toBe(0);
      expect(child.messages.at(-1)).toMatchObject({ type: 'closed', running: 0 });
    } finally {
      await child.kill();
      await queue.close();
    }
  });

  it('fails a wait as soon as the child is gone, naming its exit', async () => {
    const child = await startPoolProcess({ url: redisUrl(), prefix: uniquePrefix('harness') });
    await child.kill();
    const started = Date.now();
    await expect(child.waitFor((m) => m.type === 'completed', 'a completed job')).rejects.toThrow(
      `no a completed job: process ${child.pid} exited with null`,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(child.alive).toBe(false);
  });

  it('rejects start when the pool cannot start, instead of waiting for ready', async () => {
    const started = Date.now();
    await expect(
      startPoolProcess({ url: 'redis://127.0.0.1:1', prefix: uniquePrefix('harness') }),
    ).rejects.toThrow(
      /no ready from \d+: process \d+ exited with 1; last: .*Could not connect to Redis at 127\.0\.0\.1:1/,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
