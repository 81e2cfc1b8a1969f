import { describe, expect, it } from 'vitest';
import { queueKeysOf } from '../../src/internal.js';
import { useHarness } from '../support/harness.js';
import { rawClient } from '../support/redis.js';

type Jobs = { page: { data: { index: number }; result: string } };

describe('batch job results', () => {
  const h = useHarness('batchres');

  it('keeps the result of a batch job retried after its batch expired', async () => {
    const queue = h.queue<Jobs>();
    let calls = 0;
    const pool = h.pool<Jobs>(
      {
        page: async (job) => {
          calls++;
          if (calls === 1) throw new Error('first run fails');
          return `page ${job.data.index}`;
        },
      },
      { attempts: 1 },
    );
    await pool.start();
    const batch = await queue.addBatch([{ name: 'page', data: { index: 3 } }], { ttl: 60 });
    await queue.waitForBatch(batch.id, { timeout: 10_000 });
    const id = batch.jobs[0]?.id ?? '';
    expect((await queue.getJob(id))?.state).toBe('failed');
    // The batch's ttl runs out (here: at once) while its failed job is kept.
    const redis = rawClient();
    await redis.del(queueKeysOf(queue).batch(batch.id));
    await redis.quit();
    await queue.retryJob(id);
    expect(await queue.waitForResult(id, { timeout: 10_000 })).toBe('page 3');
    const info = await queue.getJob(id);
    expect(info?.state).toBe('completed');
    expect(info?.result).toBe('page 3');
  });
});
