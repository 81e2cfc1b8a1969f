import { describe, expect, it } from 'vitest';
import type { AttemptReport, ReportOutcome } from '../../src/attempt-report.js';
import {
  PoolClosedError,
  QuotaExceededError,
  RateLimitError,
  UnrecoverableError,
} from '../../src/errors.js';
import { HandlerRegistry } from '../../src/handlers.js';
import { JobExecutor } from '../../src/job-executor.js';
import type { ClaimedJob } from '../../src/job.js';
import { silentLogger } from '../../src/logger.js';
import { resolvePoolOptions } from '../../src/options.js';
import type { ProgressWrite } from '../../src/redis/protocol/progress.js';
import { StatsCollector } from '../../src/stats.js';

type Handler = (
  job: ClaimedJob['job'],
  context: { signal: AbortSignal; progress(value: unknown): Promise<void> },
) => unknown;

function claimed(id: string, overrides: Partial<ClaimedJob> = {}): ClaimedJob {
  return {
    job: { id, name: 'page', data: { id }, createdAt: 0 },
    token: `t-${id}`,
    attemptsMade: 0,
    maxAttempts: undefined,
    options: {},
    keepCompleted: '1000:86400',
    keepFailed: '10000:604800',
    ...overrides,
  };
}

/** An executor whose reports land in `sent`, answered by `settle` (or `ok` at once). */
function setup(handler: Handler, options: Record<string, unknown> = {}, { answer = true } = {}) {
  const sent: { report: AttemptReport; settle(outcome: ReportOutcome): void }[] = [];
  const freed: boolean[] = [];
  const events: { event: string; payload: unknown }[] = [];
  const progress: ProgressWrite[] = [];
  const executor = new JobExecutor(
    resolvePoolOptions({ concurrency: 2, logger: silentLogger, ...options }),
    new HandlerRegistry({ page: handler }),
    new StatsCollector(),
    {
      emit: (event, ...args) => events.push({ event, payload: args[0] }),
      listens: () => true,
      onError: (error) => {
        throw error;
      },
      isAccepting: () => true,
      report: (report, settle) => {
        sent.push({ report, settle });
        if (answer) settle('ok');
      },
      slotFreed: (claimNow) => freed.push(claimNow),
      writeProgress: (write) => {
        progress.push(write);
        return Promise.resolve(true);
      },
    },
  );
  const reported = async (count = 1) => {
    await expect.poll(() => sent.length).toBe(count);
    return sent.map((s) => s.report);
  };
  return { executor, sent, freed, events, reported, progress };
}

describe('JobExecutor', () => {
  it('reports a completed attempt with its result, then emits `completed`', async () => {
    const { executor, events, reported } = setup(async (job) => ({ done: job.id }));
    executor.start(claimed('1'), 0);
    const [report] = await reported();
    expect(report).toMatchObject({
      id: '1',
      token: 't-1',
      kind: 'completed',
      payload: '{"done":"1"}',
      attempt: 1,
      keep: '1000:86400',
    });
    expect(events.map((e) => e.event)).toEqual(['active', 'completed']);
  });

  it('reports a retry with its backoff while attempts are left', async () => {
    const { executor, events, reported } = setup(
      () => {
        throw new Error('flaky');
      },
      { attempts: 3, backoff: { type: 'fixed', delay: 250, jitter: 0 } },
    );
    executor.start(claimed('1'), 0);
    const [report] = await reported();
    expect(report).toMatchObject({ kind: 'retry', delay: 250, keep: '10000:604800' });
    expect(JSON.parse(report?.payload ?? '')).toMatchObject({ message: 'flaky' });
    expect(events.map((e) => e.event)).toContain('retrying');
  });

  it('reports a failure on the last attempt, and on an UnrecoverableError at once', async () => {
    const last = setup(() => {
      throw new Error('still broken');
    });
    last.executor.start(claimed('1', { attemptsMade: 3, maxAttempts: 4 }), 0);
    expect((await last.reported())[0]).toMatchObject({ kind: 'failed', attempt: 4 });

    const permanent = setup(() => {
      throw new UnrecoverableError('bad prompt');
    });
    permanent.executor.start(claimed('2'), 0);
    expect((await permanent.reported())[0]).toMatchObject({ kind: 'failed', attempt: 1 });
    expect(permanent.events.map((e) => e.event)).toContain('failed');
  });

  it('reports a RateLimitError as rate limited, with its delay', async () => {
    const { executor, events, reported } = setup(() => {
      throw new RateLimitError(1500);
    });
    executor.start(claimed('1'), 0);
    expect((await reported())[0]).toMatchObject({ kind: 'rateLimited', delay: 1500 });
    expect(events.map((e) => e.event)).toContain('rateLimited');
  });

  it('reports a QuotaExceededError (or an error with its code) without spending the attempt, and emits quotaExceeded', async () => {
    for (const thrown of [
      new QuotaExceededError('insufficient_quota'),
      Object.assign(new Error('billing'), { code: 'ERR_QUOTA_EXCEEDED' }),
    ]) {
      const { executor, events, reported } = setup(() => {
        throw thrown;
      });
      // Its last attempt: a quota error still does not fail the job.
      executor.start(claimed('1', { attemptsMade: 2, maxAttempts: 3 }), 0);
      expect((await reported())[0]).toMatchObject({ kind: 'quotaExceeded', attempt: 3, delay: 0 });
      expect(events.map((e) => e.event)).toContain('quotaExceeded');
    }
  });

  it('aborts a handler that outlives its timeout and reports the timeout', async () => {
    let signal: AbortSignal | undefined;
    const { executor, reported } = setup(
      (_job, context) => {
        signal = context.signal;
        return new Promise(() => {});
      },
      { timeout: 30 },
    );
    executor.start(claimed('1'), 0);
    const [report] = await reported();
    expect(report?.kind).toBe('retry');
    expect(JSON.parse(report?.payload ?? '')).toMatchObject({ name: 'JobTimeoutError' });
    expect(signal?.aborted).toBe(true);
  });

  it('takes a slot per running job, and frees it before the report so the report’s call claims for it', async () => {
    let finish: (() => void) | undefined;
    const { executor, freed, sent } = setup(
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    expect(executor.freeSlots).toBe(2);
    executor.start(claimed('1'), 0);
    expect(executor.freeSlots).toBe(1);
    expect(executor.running).toBe(1);
    finish?.();
    await expect.poll(() => sent.length).toBe(1);
    expect(freed).toEqual([false]);
    expect(executor.freeSlots).toBe(2);
    expect(executor.running).toBe(0);
  });

  it('rests a slot for processingDelay, then asks for work', async () => {
    const { executor, freed, sent } = setup(() => 'ok', { processingDelay: 40 });
    executor.start(claimed('1'), 0);
    await expect.poll(() => sent.length).toBe(1);
    expect(executor.freeSlots).toBe(1);
    await expect.poll(() => freed).toEqual([true]);
    expect(executor.freeSlots).toBe(2);
  });

  it('emits leaseLost, not completed, when Redis refuses the report as stale', async () => {
    const { executor, sent, events } = setup(() => 'ok', {}, { answer: false });
    executor.start(claimed('1'), 0);
    await expect.poll(() => sent.length).toBe(1);
    sent[0]?.settle('stale');
    expect(events.map((e) => e.event)).toEqual(['active', 'leaseLost']);
  });

  it('lists the leases of running jobs and aborts the attempt whose lease is lost', async () => {
    let signal: AbortSignal | undefined;
    const { executor, reported } = setup((_job, context) => {
      signal = context.signal;
      return new Promise(() => {});
    });
    executor.start(claimed('1'), 0);
    expect(executor.leases()).toEqual([{ id: '1', token: 't-1' }]);
    executor.loseLease('t-1');
    expect(signal?.aborted).toBe(true);
    expect(JSON.parse((await reported())[0]?.payload ?? '')).toMatchObject({
      name: 'LeaseLostError',
    });
  });

  it('hands running jobs back without reporting them, then aborts them', async () => {
    let signal: AbortSignal | undefined;
    const { executor, sent } = setup((_job, context) => {
      signal = context.signal;
      return new Promise(() => {});
    });
    executor.start(claimed('1'), 0);
    const released: unknown[] = [];
    const reason = new PoolClosedError('closing');
    await executor.handBack(async (leases) => {
      released.push(...leases);
      // Still running while its lease is handed back: aborted only after.
      expect(signal?.aborted ?? false).toBe(false);
    }, reason);
    expect(released).toEqual([{ id: '1', token: 't-1' }]);
    expect(signal?.reason).toBe(reason);
    await expect.poll(() => executor.running).toBe(0);
    expect(sent).toEqual([]);
    expect(executor.leases()).toEqual([]);
  });
});

describe('JobExecutor: progress', () => {
  it('coalesces progress calls and writes the last value before the report', async () => {
    let later: ((value: unknown) => Promise<void>) | undefined;
    const { executor, sent, progress, events, reported } = setup(
      async (_job, ctx) => {
        later = ctx.progress;
        for (let i = 1; i <= 100; i++) void ctx.progress({ i });
        await new Promise((resolve) => setTimeout(resolve, 30));
        return 'done';
      },
      { progressInterval: 1000 },
    );
    executor.start(claimed('1'), Date.now());
    await reported();
    // The first call writes at once; the other 99 wait out the interval, and only the last is sent.
    expect(progress.map((w) => JSON.parse(w.json))).toEqual([{ i: 1 }, { i: 100 }]);
    expect(progress[0]).toMatchObject({ id: '1', token: 't-1' });
    expect(sent[0]?.report.kind).toBe('completed');
    expect(events.filter((e) => e.event === 'progress').map((e) => e.payload)).toMatchObject([
      { progress: { i: 1 }, attempt: 1 },
      { progress: { i: 100 }, attempt: 1 },
    ]);
    // After the attempt ended, a call is ignored.
    await later?.({ i: 101 });
    expect(progress).toHaveLength(2);
  });

  it('rejects a progress value that is not JSON or is over 1 MiB, and the job goes on', async () => {
    const errors: unknown[] = [];
    const { executor, sent, progress, reported } = setup(async (_job, ctx) => {
      errors.push(await ctx.progress({ n: 1n }).catch((e: unknown) => e));
      errors.push(await ctx.progress('x'.repeat(1024 * 1024 + 1)).catch((e: unknown) => e));
      return 'ok';
    });
    executor.start(claimed('1'), Date.now());
    await reported();
    expect(errors[0]).toMatchObject({ code: 'ERR_NOT_SERIALIZABLE' });
    expect((errors[0] as Error).message).toMatch(/`progress.n` is a BigInt/);
    expect(errors[1]).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE' });
    expect(progress).toHaveLength(0);
    expect(sent[0]?.report.kind).toBe('completed');
  });
});
