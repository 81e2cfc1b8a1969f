import { describe, expect, it } from 'vitest';
import { Queue, QuotaExceededError } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import {
  Inbox,
  startPoolProcess,
  type PoolEvent,
  type PoolProcess,
} from '../support/pool-processes.js';
import { redisUrl, sleep, uniquePrefix, until } from '../support/redis.js';

const REASON = 'insufficient_quota: You exceeded your current quota, please check your plan';

describe('quota errors', () => {
  const h = useHarness('quota');

  it('pauses the queue across processes, hands the job back unspent, and runs everything after resume', async () => {
    const prefix = uniquePrefix('quota-procs');
    const queue = new Queue('q', { connection: redisUrl(), prefix, logger: false });
    const pools: PoolProcess[] = [];
    // One inbox for both processes: their messages are checked together.
    const inbox = new Inbox<PoolEvent>();
    try {
      for (const tag of ['a', 'b'])
        pools.push(
          await startPoolProcess({ url: redisUrl(), prefix, concurrency: 2, tag }, { inbox }),
        );
      // The quota job is added first, so it is claimed first; the rest keep every slot busy.
      const quota = await queue.add('page', { quotaOnce: REASON, ms: 150 });
      const rest = await queue.addBulk(
        Array.from({ length: 30 }, () => ({ name: 'page', data: { ms: 150 } })),
      );
      const event = await inbox.waitFor((m) => m.type === 'quotaExceeded');
      expect(event).toMatchObject({ jobId: quota.id, message: REASON, code: 'ERR_QUOTA_EXCEEDED' });
      expect(await queue.isPaused()).toBe(true);

      // What was running when the quota ran out finishes; nothing new starts, in either process.
      await until(async () => (await queue.getCounts()).active === 0, 'in-flight jobs to finish');
      const counts = await queue.getCounts();
      const started = inbox.messages.filter((m) => m.type === 'started').length;
      await sleep(1500);
      expect(await queue.getCounts()).toEqual(counts);
      expect(inbox.messages.filter((m) => m.type === 'started').length).toBe(started);
      // Both processes had started jobs: the other one stopped claiming too.
      const other = pools.find((p) => p.pid !== event.pid)!;
      expect(other.messages.some((m) => m.type === 'started')).toBe(true);
      expect(counts.waiting).toBeGreaterThan(0);

      // Back at the front of the line, its attempt unspent.
      const info = await queue.getJob(quota.id);
      expect(info).toMatchObject({ state: 'waiting', attempts: 0 });
      expect((await queue.getJobs('waiting', { limit: 1 }))[0]?.id).toBe(quota.id);

      const reason = await queue.getPauseReason();
      expect(reason).toMatchObject({ reason: REASON, jobId: quota.id });
      expect(reason!.at).toBeGreaterThan(Date.now() - 60_000);
      const args = ['--queue', 'q', '--prefix', prefix, '--redis-url', redisUrl()];
      const text = await runCli(['status', ...args]);
      expect(text.stdout).toContain(`PAUSED`);
      expect(text.stdout).toContain(`QUOTA EXCEEDED`);
      expect(text.stdout).toContain(`(job ${quota.id}): ${REASON}`);
      const json = JSON.parse((await runCli(['status', '--json', ...args])).stdout);
      expect(json.pauseReason).toMatchObject({ reason: REASON, jobId: quota.id });

      const resumed = await runCli(['resume', ...args]);
      expect(resumed.code).toBe(0);
      expect(await queue.isPaused()).toBe(false);
      expect(await queue.getPauseReason()).toBeNull();
      const result = (await queue.waitForResult(quota.id, { timeout: 30_000 })) as {
        attempt: number;
      };
      // The first attempt never counted.
      expect(result.attempt).toBe(1);
      expect((await queue.getJob(quota.id))?.attempts).toBe(1);
      for (const job of rest) await queue.waitForResult(job.id, { timeout: 30_000 });
      expect((await queue.getCounts()).completed).toBe(31);
      expect(await queue.getPauseReason()).toBeNull();
    } finally {
      await Promise.all(pools.map((p) => p.stop()));
      await queue.close();
    }
  }, 90_000);

  it('emits quotaExceeded, claims nothing more in the same call, and bounds the reason', async () => {
    const queue = h.queue();
    const long = `insufficient_quota: ${'é'.repeat(2000)}`;
    let first = true;
    const pool = h.pool(
      {
        page: async () => {
          if (first) {
            first = false;
            throw new QuotaExceededError(long);
          }
          return 'ok';
        },
      },
      { concurrency: 1 },
    );
    const events: { jobId: string; error: Error }[] = [];
    pool.on('quotaExceeded', ({ job, error }) => events.push({ jobId: job.id, error }));
    const a = await queue.add('page', {});
    const b = await queue.add('page', {});
    await pool.start();
    await until(async () => events.length === 1, 'the quotaExceeded event');
    expect(events[0]!.jobId).toBe(a.id);
    expect(events[0]!.error).toBeInstanceOf(QuotaExceededError);
    expect(await queue.isPaused()).toBe(true);
    // The report that paused the queue could have claimed the next job; it did not.
    await until(async () => (await queue.getCounts()).active === 0, 'nothing active');
    expect(await queue.getCounts()).toMatchObject({ waiting: 2, active: 0, completed: 0 });
    const { reason } = (await queue.getPauseReason())!;
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(503);
    expect(reason.endsWith('...')).toBe(true);
    expect(reason).not.toContain('\ufffd');
    expect(long.startsWith(reason.slice(0, -3))).toBe(true);
    // The stored error of the job is the whole message, as for any failed attempt.
    expect((await queue.getJob(a.id))?.error?.message).toBe(long);

    await queue.resume();
    expect(await queue.waitForResult(a.id, { timeout: 10_000 })).toBe('ok');
    expect(await queue.waitForResult(b.id, { timeout: 10_000 })).toBe('ok');
  });

  it('keeps the first reason until resumed, and has none for a plain pause()', async () => {
    const queue = h.queue();
    await queue.pause();
    expect(await queue.getPauseReason()).toBeNull();
    await queue.resume();
    const pool = h.pool(
      {
        page: async (job: { id: string }) => {
          throw Object.assign(new Error(`quota ${job.id}`), { code: 'ERR_QUOTA_EXCEEDED' });
        },
      },
      { concurrency: 2 },
    );
    const seen: string[] = [];
    pool.on('quotaExceeded', ({ job }) => seen.push(job.id));
    const a = await queue.add('page', {});
    const b = await queue.add('page', {});
    await pool.start();
    // Both may run (claimed in one call) before the pause: the first reason stays.
    await until(async () => (await queue.getCounts()).active === 0 && seen.length > 0, 'pause');
    const reason = await queue.getPauseReason();
    expect(reason?.reason).toBe(`quota ${seen[0]}`);
    expect([a.id, b.id]).toContain(reason?.jobId);
    for (const id of [a.id, b.id]) expect((await queue.getJob(id))?.attempts).toBe(0);
  });

  it('escapes the reason in `worker-pool status`', async () => {
    const queue = h.queue('pages');
    const evil = 'insufficient_quota\u001b[2J\u001b]52;c;ZXZpbA==\u0007 then\nQueue fake: running';
    const pool = h.pool(
      {
        page: async () => {
          throw new QuotaExceededError(evil);
        },
      },
      {},
      'pages',
    );
    await pool.start();
    await queue.add('page', {});
    await until(async () => (await queue.getPauseReason()) !== null, 'the pause');
    await pool.close();
    const args = ['--queue', 'pages', '--prefix', h.prefix, '--redis-url', redisUrl()];
    const text = await runCli(['status', ...args]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stdout).not.toContain('\u0007');
    const line = text.stdout.split('\n').find((l) => l.startsWith('QUOTA EXCEEDED'));
    expect(line).toContain(
      'insufficient_quota\\u001b[2J\\u001b]52;c;ZXZpbA==\\u0007 then\\u000aQueue fake: running',
    );
    // JSON keeps the message as it is (JSON escapes control characters itself).
    const json = JSON.parse((await runCli(['status', '--json', ...args])).stdout);
    expect(json.pauseReason.reason).toBe(evil);
  });
});
