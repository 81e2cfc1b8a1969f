import { describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { useHarness } from '../support/harness.js';
import { rawClient, sleep } from '../support/redis.js';

type Jobs = { page: { data: { index: number }; result: string } };

/** Make the `nth` call (1-based) of the add script on `client` fail without reaching Redis. */
function failAddCall(client: ReturnType<typeof rawClient>, nth: number): void {
  const target = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const name = Object.keys(target).find((key) => key.startsWith('rwp_add_'));
  if (!name) throw new Error('the add script is not defined on this client');
  const original = target[name] as (...args: unknown[]) => Promise<unknown>;
  let calls = 0;
  target[name] = function (this: unknown, ...args: unknown[]) {
    calls++;
    if (calls === nth) return Promise.reject(new Error('Connection is closed.'));
    return original.apply(this, args);
  };
}

describe('a batch added over several calls', () => {
  const h = useHarness('chunks');

  it('still finishes when a later call fails: the items not added are failed in it', async () => {
    const client = rawClient();
    const queue = h.track(
      new Queue<Jobs>('q', { connection: client, prefix: h.prefix, logger: false }),
    );
    failAddCall(client, 2);
    const items = Array.from({ length: 2500 }, (_, index) => ({
      name: 'page' as const,
      data: { index },
    }));
    const error = await queue.addBatch(items, { batchId: 'big' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe('Connection is closed.');
    const progress = await queue.getBatch('big');
    // Chunk 2 (items 1000-1999) never ran: counted as failed at once.
    expect(progress).toMatchObject({ total: 2500, failed: 1000, completed: 0 });
    const pool = h.pool<Jobs>({ page: async (job) => `p${job.data.index}` }, { concurrency: 50 });
    await pool.start();
    await queue.waitForBatch('big', { timeout: 30_000 });
    const results = await queue.getBatchResults<string>('big');
    expect(results.filter((r) => r.state === 'completed')).toHaveLength(1500);
    expect(results[1000]).toMatchObject({
      state: 'failed',
      error: { code: 'ERR_JOB_NOT_ADDED', message: 'Not added: Connection is closed.' },
    });
    expect(results[2000]).toMatchObject({ state: 'completed', result: 'p2000' });
    await client.quit();
  });

  it('leaves a batch alone when the failed call had run, and a late resend adds nothing', async () => {
    const client = rawClient();
    const queue = h.track(
      new Queue<Jobs>('q', { connection: client, prefix: h.prefix, logger: false }),
    );
    // The first call runs, then its reply is "lost".
    const target = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const name = Object.keys(target).find((key) => key.startsWith('rwp_add_')) ?? '';
    const original = target[name] as (...args: unknown[]) => Promise<unknown>;
    let resend: (() => Promise<unknown>) | undefined;
    let calls = 0;
    target[name] = function (this: unknown, ...args: unknown[]) {
      calls++;
      if (calls === 1)
        return original.apply(this, args).then(() => Promise.reject(new Error('reply lost')));
      if (calls === 2) {
        // This call "fails" before it is sent; ioredis would resend it later.
        resend = () => original.apply(this, args);
        return Promise.reject(new Error('Connection is closed.'));
      }
      return original.apply(this, args);
    };
    const items = Array.from({ length: 1500 }, (_, index) => ({
      name: 'page' as const,
      data: { index },
    }));
    await expect(queue.addBatch(items, { batchId: 'b2' })).rejects.toThrow('reply lost');
    // Chunk 1 ran (1000 jobs waiting); chunk 2 never sent: its 500 items failed.
    expect(await queue.getBatch('b2')).toMatchObject({ total: 1500, failed: 500 });
    expect((await queue.getCounts()).waiting).toBe(1000);
    await resend?.();
    await sleep(50);
    expect((await queue.getCounts()).waiting).toBe(1000);
    await client.quit();
  });
});
