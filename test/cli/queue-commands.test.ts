import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnrecoverableError, type AnyJob, type HandlerContext } from '../../src/index.js';
import { runCli, startCli } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import { redisUrl, until } from '../support/redis.js';

type Jobs = { page: { data: { fail?: boolean; hang?: boolean }; result: string } };

const h = useHarness('cli-q');

/** `worker-pool <args>` on this test's queue. */
const cli = (...args: string[]) =>
  runCli([...args, '--queue', 'pages', '--prefix', h.prefix, '--redis-url', redisUrl()]);

/** A pool in this process that fails `fail` jobs for good and holds `hang` jobs until closed. */
function pool() {
  return h.pool<Jobs>(
    async (job: AnyJob<Jobs>, { signal }: HandlerContext) => {
      if (job.data.fail) throw new UnrecoverableError('the model refused the prompt');
      if (job.data.hang)
        await new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      return 'ok';
    },
    { concurrency: 3 },
    'pages',
  );
}

/** Two completed, two failed, one delayed, one waiting, on a queue with no pool left. */
async function fillQueue() {
  const queue = h.queue<Jobs>('pages');
  const p = pool();
  await p.start();
  const done = await queue.addBulk([
    { name: 'page', data: {} },
    { name: 'page', data: {} },
    { name: 'page', data: { fail: true } },
    { name: 'page', data: { fail: true } },
  ]);
  await until(async () => {
    const c = await queue.getCounts();
    return c.completed === 2 && c.failed === 2;
  }, 'jobs to finish');
  await p.close();
  const delayed = await queue.add('page', {}, { delay: 600_000 });
  const waiting = await queue.add('page', {});
  return { queue, done, delayed, waiting };
}

describe('worker-pool status', () => {
  it('shows the counts, the last minute and a hint when the queue looks empty', async () => {
    const empty = await cli('status');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain(`Queue pages (prefix ${h.prefix}, Redis `);
    expect(empty.stdout).toContain('No jobs and no pools on queue pages');

    await fillQueue();
    const { code, stdout } = await cli('status');
    expect(code).toBe(0);
    expect(stdout).toContain('Jobs         1 waiting, 1 delayed, 0 active, 2 completed, 2 failed');
    expect(stdout).toContain('Last minute  2 completed, 2 failed');
    expect(stdout).toContain('0 pools connected');
    expect(stdout).not.toContain('No jobs and no pools');
  });

  it('--json reports counts, pools, active jobs with their age and lease, and the last minute', async () => {
    const queue = h.queue<Jobs>('pages');
    const p = pool();
    await p.start();
    const job = await queue.add('page', { hang: true });
    await until(async () => (await queue.getCounts()).active === 1, 'the job to run');
    const { code, stdout } = await cli('status', '--json');
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status).toMatchObject({
      queue: 'pages',
      prefix: h.prefix,
      paused: false,
      counts: { waiting: 0, delayed: 0, active: 1, completed: 0, failed: 0 },
      lastMinute: { completed: 0, failed: 0 },
    });
    expect(status.redis).toMatch(/^127\.0\.0\.1:\d+$|^[\w.-]+:\d+$/);
    expect(status.pools).toHaveLength(1);
    expect(status.pools[0]).toMatchObject({ pid: process.pid, concurrency: 3 });
    expect(status.active).toHaveLength(1);
    expect(status.active[0]).toMatchObject({ id: job.id, name: 'page', state: 'active' });
    expect(status.active[0].leaseExpiresAt).toBeGreaterThan(status.time);
    expect(status.time - status.active[0].createdAt).toBeGreaterThanOrEqual(0);
    expect(status.minutes).toHaveLength(2);

    const text = await cli('status');
    expect(text.stdout).toContain('1 pool connected');
    expect(text.stdout).toMatch(/Active jobs\n {2}ID +NAME +ATTEMPT +RUNNING FOR +LEASE ENDS\n/);
    expect(text.stdout).toMatch(new RegExp(`\\n  ${job.id} +page +1 +[\\d.]+m?s +in `));
  });

  it('--watch prints a snapshot per refresh when not on a terminal, and exits 0 on SIGINT', async () => {
    const queue = h.queue<Jobs>('pages');
    const watcher = startCli([
      'status',
      '--watch',
      '--interval',
      '200',
      '--queue',
      'pages',
      '--prefix',
      h.prefix,
      '--redis-url',
      redisUrl(),
    ]);
    try {
      await watcher.waitForOutput(/0 waiting/);
      await queue.add('page', {});
      await watcher.waitForOutput(/1 waiting/);
      const { code, stdout } = await watcher.stop('SIGINT');
      expect(code).toBe(0);
      expect(stdout.match(/^Queue pages /gm)!.length).toBeGreaterThanOrEqual(2);
      expect(stdout).not.toContain('\x1b['); // no cursor movement into a pipe
    } finally {
      await watcher.stop('SIGKILL').catch(() => {});
    }
  });

  // util-linux `script` runs the CLI on a pseudo-terminal, as a user's shell does.
  it.skipIf(spawnSync('script', ['--version']).status !== 0)(
    '--watch on a terminal redraws in place, and restores the cursor on Ctrl+C',
    async () => {
      const command = [
        'stty cols 120 rows 40;',
        `exec ${process.execPath} dist/cli.js status --watch --interval 200`,
        `--prefix ${h.prefix} --redis-url ${redisUrl()}`,
      ].join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: join(import.meta.dirname, '..', '..'),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const ESC = String.fromCharCode(27);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      try {
        await until(() => (out.match(/Every 200 ms/g) ?? []).length >= 2, 'two refreshes');
        child.stdin.write('\x03'); // Ctrl+C, turned into SIGINT by the terminal
        expect(await exited).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      expect(out).toContain('\x1b[?25l'); // cursor hidden while redrawing
      // Back up over the last screen and clear it, then draw the next one.
      expect(out).toMatch(new RegExp(`${ESC}\\[\\d+A${ESC}\\[0JQueue pages `));
      expect(out.endsWith('\x1b[?25h')).toBe(true); // and shown again
    },
  );

  it('--watch --json prints one JSON object per line', async () => {
    const watcher = startCli([
      'status',
      '--watch',
      '--json',
      '--interval',
      '200',
      '--prefix',
      h.prefix,
      '--redis-url',
      redisUrl(),
    ]);
    await watcher.waitForOutput(/\n[^\n]*\n[^\n]*\n/);
    const { code, stdout } = await watcher.stop('SIGTERM');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('counts');
  });
});

describe('worker-pool jobs', () => {
  it('lists failed jobs with their error, and completed, delayed and waiting ones', async () => {
    const { done, delayed, waiting } = await fillQueue();
    const failed = await cli('jobs', 'failed');
    expect(failed.code).toBe(0);
    expect(failed.stdout).toMatch(/ID +NAME +ATTEMPTS +FAILED +ERROR/);
    expect(failed.stdout).toMatch(
      new RegExp(
        `\\n  ${done[3]!.id} +page +1 +[\\d.]+m?s ago +UnrecoverableError: the model refused the prompt`,
      ),
    );
    expect(failed.stdout).toContain('2 failed jobs in queue pages; showing 1-2.');

    const completed = await cli('jobs', 'completed');
    expect(completed.stdout).toMatch(/ID +NAME +ATTEMPTS +FINISHED +RAN FOR/);
    expect(completed.stdout).toContain('2 completed jobs in queue pages');
    expect((await cli('jobs', 'delayed')).stdout).toMatch(
      new RegExp(`\\n  ${delayed.id} +page +0 +in (9|10)m`),
    );
    expect((await cli('jobs', 'waiting')).stdout).toMatch(new RegExp(`\\n  ${waiting.id} +page `));
    expect((await cli('jobs', 'active')).stdout).toContain('No active jobs in queue pages.');
  });

  it('--limit and --start page through a list, --json prints full records', async () => {
    const { done } = await fillQueue();
    const first = await cli('jobs', 'failed', '--limit', '1');
    expect(first.stdout).toContain('2 failed jobs in queue pages; showing 1-1. Next: --start 1');
    const json = await cli('jobs', 'failed', '--json', '--limit', '1', '--start', '1');
    expect(json.code).toBe(0);
    const jobs = JSON.parse(json.stdout);
    expect(jobs).toHaveLength(1);
    // Most recent first: the second page holds the first job to fail.
    expect(jobs[0]).toMatchObject({
      state: 'failed',
      name: 'page',
      data: { fail: true },
      error: { name: 'UnrecoverableError', message: 'the model refused the prompt' },
    });
    expect([done[2]!.id, done[3]!.id]).toContain(jobs[0].id);
  });
});

describe('worker-pool retry, remove, pause and resume', () => {
  it('retry <id> sends a failed job back to waiting; an unknown or unfailed id exits 1', async () => {
    const { queue, done, waiting } = await fillQueue();
    const ok = await cli('retry', done[2]!.id);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Job ${done[2]!.id} is back in waiting.`);
    expect((await queue.getJob(done[2]!.id))?.state).toBe('waiting');

    const bad = await cli('retry', '999999', waiting.id);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Job 999999 was not found');
    expect(bad.stderr).toContain(`Cannot retry job ${waiting.id}: it is not failed`);
  });

  it('retry --all-failed sends every failed job back, once, one line per job', async () => {
    const { queue, done } = await fillQueue();
    const { code, stdout } = await cli('retry', '--all-failed');
    expect(code).toBe(0);
    // As docs/cli.md says: one line per job, then the summary.
    const failed = [done[2]!.id, done[3]!.id];
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual(
      failed.map((id) => `Job ${id} is back in waiting.`).sort(),
    );
    expect(lines.at(-1)).toBe('Retried 2 failed jobs of queue pages.');
    expect(await queue.getCounts()).toMatchObject({ failed: 0, waiting: 3 });
    expect((await cli('retry', '--all-failed')).stdout).toContain('No failed jobs in queue pages.');
  });

  it('remove <id> removes a job; a running job cannot be removed (exit 1)', async () => {
    const { queue, done } = await fillQueue();
    const ok = await cli('remove', done[0]!.id);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Removed job ${done[0]!.id}.`);
    expect(await queue.getJob(done[0]!.id)).toBeNull();

    const p = pool();
    await p.start();
    const running = await queue.add('page', { hang: true });
    await until(async () => (await queue.getJob(running.id))?.state === 'active', 'the job to run');
    const refused = await cli('remove', running.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Cannot remove job ${running.id}: it is active`);
  });

  it('cancel <id> cancels a running job in the pool that runs it; a finished one exits 1', async () => {
    const { queue, done } = await fillQueue();
    const p = pool();
    const failed: string[] = [];
    p.on('failed', ({ job, error }) => failed.push(`${job.id} ${error.name}`));
    await p.start();
    const running = await queue.add('page', { hang: true });
    await until(async () => (await queue.getJob(running.id))?.state === 'active', 'the job to run');
    const ok = await cli('cancel', running.id, '--reason', 'user left');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Cancelled job ${running.id}.`);
    expect((await queue.getJob(running.id))?.error).toMatchObject({
      code: 'ERR_JOB_CANCELLED',
      message: `Job ${running.id} was cancelled: user left`,
    });
    await until(() => failed.includes(`${running.id} JobCancelledError`), 'the handler to abort');

    const refused = await cli('cancel', done[0]!.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Cannot cancel job ${done[0]!.id}: it is completed`);
  });

  it('cancel --batch cancels every unfinished job of the batch', async () => {
    const queue = h.queue<Jobs>('pages');
    const batch = await queue.addBatch([
      { name: 'page', data: {} },
      { name: 'page', data: {} },
    ]);
    const { code, stdout } = await cli('cancel', '--batch', batch.id);
    expect(code).toBe(0);
    expect(stdout).toContain(`Cancelled 2 unfinished jobs of batch ${batch.id}.`);
    expect(await queue.getBatch(batch.id)).toMatchObject({ failed: 2, done: true });
    const missing = await cli('cancel', '--batch', 'no-such-batch');
    expect(missing.code).toBe(1);
    expect((await cli('cancel')).code).toBe(2);
  });

  it('pause stops every pool on the queue from claiming, resume lets them claim again', async () => {
    const queue = h.queue<Jobs>('pages');
    const p = pool();
    await p.start();
    const paused = await cli('pause');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('Queue pages paused');
    expect(await queue.isPaused()).toBe(true);
    expect((await cli('pause')).stdout).toContain('already paused');
    expect((await cli('status')).stdout).toContain('PAUSED');

    const job = await queue.add('page', {});
    await new Promise((r) => setTimeout(r, 300));
    expect((await queue.getJob(job.id))?.state).toBe('waiting');

    const resumed = await cli('resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Queue pages resumed.');
    expect(await queue.waitForResult(job.id, { timeout: 10_000 })).toBe('ok');
  });

  it('pause --group and resume --group hold one group; status lists the groups with the most waiting; jobs --group lists a group', async () => {
    const queue = h.queue<Jobs>('pages');
    const paused = await cli('pause', '--group', 'user-\x1b[31m1');
    expect(paused.code).toBe(0);
    // The group name is data from outside: its control characters are shown, not obeyed.
    expect(paused.stdout).toContain('Group user-\\u001b[31m1 of queue pages paused');
    expect((await cli('pause', '--group', 'user-\x1b[31m1')).stdout).toContain('already paused');
    await cli('pause', '--group', 'user-2');
    await queue.addBulk([
      ...Array.from({ length: 3 }, () => ({
        name: 'page' as const,
        data: {},
        opts: { group: 'user-\x1b[31m1' },
      })),
      { name: 'page', data: {}, opts: { group: 'user-2' } },
    ]);
    const p = pool();
    await p.start();
    await until(async () => {
      const groups = await queue.getGroups();
      return groups.length === 2 && groups.every((g) => g.paused);
    }, 'both groups to be set aside');
    expect(await queue.getGroups()).toEqual([
      { group: 'user-\x1b[31m1', waiting: 3, active: 0, paused: true },
      { group: 'user-2', waiting: 1, active: 0, paused: true },
    ]);
    const status = await cli('status');
    expect(status.stdout).toMatch(
      /Groups with the most waiting jobs\n {2}GROUP +WAITING +ACTIVE\n {2}user-\\u001b\[31m1 +3 +0 \(paused\)\n {2}user-2 +1 +0/,
    );
    const listed = await cli('jobs', 'waiting', '--group', 'user-2');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('1 waiting job in group user-2 of queue pages');
    const resumed = await cli('resume', '--group', 'user-2');
    expect(resumed.stdout).toContain('Group user-2 of queue pages resumed.');
    expect((await cli('resume', '--group', 'user-2')).stdout).toContain('was not paused');
    await until(
      async () => (await queue.getGroupCounts('user-2')).completed === 1,
      'the resumed group to run',
    );
    expect(await queue.getGroupCounts('user-\x1b[31m1')).toMatchObject({ waiting: 3 });
    const bad = await cli('pause', '--group', '{x}');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('without braces');
  });
});
