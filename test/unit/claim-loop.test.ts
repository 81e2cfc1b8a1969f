import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptReport, ReportOutcome } from '../../src/attempt-report.js';
import { ClaimLoop, type ClaimLoopHost, type MoveScript } from '../../src/claim-loop.js';
import type { ClaimedJob } from '../../src/job.js';
import type { MoveReply, MoveRequest } from '../../src/redis/protocol/move.js';
import { NO_LIMITER } from '../../src/limiter.js';

/** A move script that answers when the test says so. */
class FakeMove implements MoveScript {
  readonly calls: { request: MoveRequest; answer(reply?: Partial<MoveReply>): void }[] = [];

  move(request: MoveRequest): Promise<MoveReply> {
    return new Promise((resolve) => {
      this.calls.push({
        request,
        answer: (reply = {}) =>
          resolve({
            statuses: request.reports.map(() => 'ok'),
            claimed: Array.from({ length: request.claim }, (_, i) => claimed(`${i}`)),
            stalled: [],
            nextDue: undefined,
            now: 1_000_000,
            heldUntil: undefined,
            paused: false,
            ...reply,
          }),
      });
    });
  }
}

function claimed(id: string): ClaimedJob {
  return {
    job: { id, name: 'page', data: null, createdAt: 0 },
    token: `t-${id}`,
    attemptsMade: 0,
    maxAttempts: undefined,
    options: {},
    keepCompleted: '1000:86400',
    keepFailed: '10000:604800',
  };
}

function report(id: string): AttemptReport {
  return {
    id,
    token: `t-${id}`,
    kind: 'completed',
    payload: '"done"',
    attempt: 1,
    startedAt: 0,
    delay: 0,
    keep: '1000:86400',
    batchId: undefined,
    batchIndex: undefined,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ClaimLoop', () => {
  const loops: ClaimLoop[] = [];
  afterEach(() => {
    for (const loop of loops.splice(0)) loop.abandon();
  });

  function setup({
    concurrency = 4,
    free = concurrency,
    pollInterval = 5000,
  }: { concurrency?: number; free?: number; pollInterval?: number } = {}) {
    const script = new FakeMove();
    const waits: { ms: number; wake(): void }[] = [];
    const state = { free, claimed: [] as ClaimedJob[], empty: 0, errors: [] as Error[] };
    const host: ClaimLoopHost = {
      freeSlots: () => state.free,
      onClaimed: (jobs) => {
        state.claimed.push(...jobs);
        state.free -= jobs.length;
      },
      onStalled: () => {},
      onQueueEmpty: () => state.empty++,
      onError: (error) => state.errors.push(error),
    };
    const loop = new ClaimLoop(
      script,
      (ms) => new Promise<void>((resolve) => waits.push({ ms, wake: resolve })),
      {
        leaseDuration: 30_000,
        pollInterval,
        defaultAttempts: 4,
        limiter: NO_LIMITER,
        concurrency,
        poolId: 'pool',
      },
      host,
    );
    loops.push(loop);
    return { script, waits, state, loop };
  }

  it('sends one claim when woken, and a second beside it once a claim comes back full', async () => {
    const { script, loop } = setup({ concurrency: 6 });
    loop.wake();
    // Whether jobs wait is unknown: one call, so that a lone new job is not answered late
    // behind a second call that finds nothing.
    expect(script.calls.map((c) => c.request.claim)).toEqual([3]);
    loop.wake();
    expect(script.calls).toHaveLength(1);
    script.calls[0]?.answer();
    await turn();
    // Full: a backlog. Two calls in flight, each claiming half of the slots.
    expect(script.calls.map((c) => c.request.claim)).toEqual([3, 3]);
  });

  it('keeps two calls in flight, each claiming half of the free slots, while claims come back full', async () => {
    const { script, state, loop } = setup({ concurrency: 4 });
    loop.wake();
    script.calls[0]?.answer();
    await turn();
    expect(script.calls.map((c) => c.request.claim)).toEqual([2, 2]);
    // Distinct calls: each has its own token prefix, so a resend of one is recognised.
    expect(new Set(script.calls.map((c) => c.request.tokenPrefix)).size).toBe(2);
    // Two slots come free while the second call is on its way: a third claims them beside it.
    state.free += 2;
    loop.report(report('a'), () => {});
    await turn();
    expect(script.calls.map((c) => c.request.claim)).toEqual([2, 2, 2]);
    loop.wake();
    expect(script.calls).toHaveLength(3);
  });

  it('starts the jobs a call claims, and claims again for the slots left', async () => {
    const { script, state, loop } = setup({ concurrency: 4 });
    loop.wake();
    script.calls[0]?.answer();
    await turn();
    expect(state.claimed.map((c) => c.token)).toEqual(['t-0', 't-1']);
    // Two slots are free of which the second call may fill both: nothing more to ask.
    expect(script.calls).toHaveLength(2);
  });

  it('sends a report at once when no call is on its way', () => {
    const { script, state, loop } = setup({ concurrency: 1, free: 0 });
    const outcomes: ReportOutcome[] = [];
    loop.report(report('a'), (o) => outcomes.push(o));
    expect(script.calls).toHaveLength(1);
    expect(script.calls[0]?.request.reports.map((r) => r.id)).toEqual(['a']);
    expect(state.claimed).toEqual([]);
  });

  it('sends the reports of a wave of jobs finishing together in one shared call', async () => {
    const { script, loop } = setup({ concurrency: 4, free: 0 });
    const outcomes: ReportOutcome[] = [];
    loop.report(report('a'), (o) => outcomes.push(o));
    // A call is on its way: the next reports wait for the end of this turn, then go together.
    loop.report(report('b'), (o) => outcomes.push(o));
    loop.report(report('c'), (o) => outcomes.push(o));
    loop.report(report('d'), (o) => outcomes.push(o));
    expect(script.calls).toHaveLength(1);
    await turn();
    expect(script.calls).toHaveLength(2);
    expect(script.calls[1]?.request.reports.map((r) => r.id)).toEqual(['b', 'c', 'd']);
    script.calls[1]?.answer({ statuses: ['ok', 'stale', 'dup'] });
    script.calls[0]?.answer();
    await turn();
    expect(outcomes).toEqual(['ok', 'stale', 'dup', 'ok']);
  });

  it('claims for the slot a report frees in the call that carries the report', () => {
    const { script, state, loop } = setup({ concurrency: 1, free: 0 });
    state.free = 1;
    loop.expectWork();
    loop.report(report('a'), () => {});
    expect(script.calls).toHaveLength(1);
    expect(script.calls[0]?.request).toMatchObject({ claim: 1, reports: [{ id: 'a' }] });
  });

  it('blocks on the marker when a claim comes back short, and claims again when woken', async () => {
    const { script, waits, state, loop } = setup({ concurrency: 2, pollInterval: 5000 });
    loop.wake();
    for (const call of script.calls) call.answer({ claimed: [] });
    await turn();
    expect(state.empty).toBe(1);
    expect(waits).toHaveLength(1);
    expect(waits[0]?.ms).toBe(5000);
    expect(script.calls).toHaveLength(1);
    waits[0]?.wake();
    await turn();
    expect(script.calls).toHaveLength(2);
    expect(script.calls[1]?.request.claim).toBe(1);
  });

  it('waits only until the next delayed job is due', async () => {
    const { script, waits, loop } = setup({ concurrency: 1, pollInterval: 5000 });
    loop.wake();
    script.calls[0]?.answer({ claimed: [], now: 1_000_000, nextDue: 1_000_300 });
    await turn();
    expect(waits).toHaveLength(1);
    expect(waits[0]?.ms).toBeGreaterThan(200);
    expect(waits[0]?.ms).toBeLessThanOrEqual(300);
  });

  it('does not say the queue is empty while it is held by its rate limit or paused', async () => {
    const { script, state, loop } = setup({ concurrency: 1 });
    loop.wake();
    script.calls[0]?.answer({ claimed: [], heldUntil: 1_000_500 });
    await turn();
    expect(state.empty).toBe(0);
  });

  it('looks for expired leases in calls that only claim, and in busy calls about once a second', () => {
    const { script, state, loop } = setup({ concurrency: 2, free: 0 });
    loop.report(report('a'), () => {});
    loop.report(report('b'), () => {});
    state.free = 1;
    loop.wake();
    const requests = script.calls.map((c) => c.request);
    // The first report's call is due a look; the next one within the second is not.
    expect(requests.map((r) => r.reclaim)).toEqual([true, false]);
  });

  it('resolves flush() once every report has been sent', async () => {
    const { script, loop } = setup({ concurrency: 1, free: 0 });
    loop.report(report('a'), () => {});
    let flushed: boolean | undefined;
    void loop.flush(1000).then((done) => (flushed = done));
    await turn();
    expect(flushed).toBeUndefined();
    script.calls[0]?.answer();
    await turn();
    expect(flushed).toBe(true);
  });

  it('gives unsent reports up as `unsent` when abandoned', async () => {
    const { script, loop } = setup({ concurrency: 1, free: 0 });
    const outcomes: ReportOutcome[] = [];
    loop.report(report('a'), (o) => outcomes.push(o));
    loop.report(report('b'), (o) => outcomes.push(o));
    loop.abandon();
    expect(outcomes).toEqual(['unsent']);
    await turn();
    expect(script.calls).toHaveLength(1);
  });
});
