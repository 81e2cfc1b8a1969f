import { describe, expect, it } from 'vitest';
import {
  AdaptiveConcurrency,
  type AttemptSample,
  type ConcurrencyChange,
} from '../../src/adaptive-concurrency.js';

/**
 * A server that answers in `latency` ms, or with a 429 at once when more than
 * `hidden(t)` requests are in flight, and a pool that always has jobs waiting:
 * each finished request is fed to the controller, and the pool keeps as many
 * requests in flight as the controller allows. Simulated time, no timers.
 */
function simulate(
  controller: AdaptiveConcurrency,
  {
    hidden,
    until,
    latency = 300,
  }: { hidden: (t: number) => number; until: number; latency?: number },
) {
  let t = 0;
  const flights: { start: number; end: number; ok: boolean }[] = [];
  const trace: { t: number; limit: number }[] = [];
  const changes: ConcurrencyChange[] = [];
  let answered = 0;
  let limited = 0;
  while (t < until) {
    while (flights.length < controller.limit) {
      const ok = flights.length < hidden(t);
      flights.push({ start: t, end: t + (ok ? latency : 5), ok });
    }
    flights.sort((a, b) => a.end - b.end);
    const f = flights.shift()!;
    t = f.end;
    if (f.ok) answered++;
    else limited++;
    const change = controller.observe({
      outcome: f.ok ? 'ok' : 'rateLimited',
      startedAt: f.start,
      now: t,
      saturated: flights.length + 1 >= controller.limit,
    });
    if (change) changes.push(change);
    trace.push({ t, limit: controller.limit });
  }
  return { trace, changes, answered, limited };
}

const ok = (startedAt: number, now: number, saturated = true): AttemptSample => ({
  outcome: 'ok',
  startedAt,
  now,
  saturated,
});

describe('AdaptiveConcurrency', () => {
  it('starts at min', () => {
    expect(new AdaptiveConcurrency({ min: 3, max: 10 }).limit).toBe(3);
  });

  it('rises from min toward a hidden limit and stays near it, with few 429s', () => {
    const controller = new AdaptiveConcurrency({ min: 1, max: 64 });
    const { trace, changes, answered, limited } = simulate(controller, {
      hidden: () => 8,
      until: 60_000,
    });
    expect(changes[0]).toEqual({ from: 1, to: 2, reason: 'healthy' });
    const late = trace.filter((s) => s.t > 10_000);
    expect(Math.min(...late.map((s) => s.limit))).toBeGreaterThanOrEqual(6);
    expect(Math.max(...late.map((s) => s.limit))).toBeLessThanOrEqual(10);
    expect(limited / (answered + limited)).toBeLessThan(0.03);
    expect(changes.some((c) => c.reason === 'rateLimited' && c.to < c.from)).toBe(true);
  });

  it('follows a hidden limit that doubles, then halves', () => {
    const controller = new AdaptiveConcurrency({ min: 1, max: 64 });
    const { trace } = simulate(controller, {
      hidden: (t) => (t < 20_000 ? 8 : t < 50_000 ? 16 : 8),
      until: 70_000,
    });
    const between = (from: number, to: number) =>
      trace.filter((s) => s.t > from && s.t < to).map((s) => s.limit);
    expect(Math.max(...between(40_000, 50_000))).toBeGreaterThanOrEqual(14);
    expect(Math.min(...between(40_000, 50_000))).toBeGreaterThanOrEqual(10);
    expect(Math.max(...between(60_000, 70_000))).toBeLessThanOrEqual(10);
  });

  it('never goes past max nor under min', () => {
    const controller = new AdaptiveConcurrency({ min: 2, max: 5 });
    const { trace } = simulate(controller, { hidden: () => 100, until: 20_000 });
    expect(trace.at(-1)?.limit).toBe(5);
    expect(Math.max(...trace.map((s) => s.limit))).toBe(5);
    const cut = new AdaptiveConcurrency({ min: 2, max: 5 });
    for (let i = 0; i < 10; i++) {
      cut.observe({ outcome: 'timeout', startedAt: 1000 * i, now: 1000 * i + 1, saturated: true });
    }
    expect(cut.limit).toBe(2);
  });

  it('does not rise without a backlog (the pool not saturated)', () => {
    const controller = new AdaptiveConcurrency({ min: 1, max: 10 });
    for (let i = 0; i < 100; i++) {
      expect(controller.observe(ok(i * 100, i * 100 + 50, false))).toBeUndefined();
    }
    expect(controller.limit).toBe(1);
  });

  it('cuts multiplicatively on a rate limit or a timeout, once per round', () => {
    const controller = new AdaptiveConcurrency({ min: 1, max: 100 });
    for (let i = 0; i < 200; i++) controller.observe(ok(i, i + 10));
    expect(controller.limit).toBe(100);
    expect(
      controller.observe({ outcome: 'rateLimited', startedAt: 300, now: 310, saturated: true }),
    ).toEqual({ from: 100, to: 66, reason: 'rateLimited' });
    // Started before the cut: sent under the old limit, it says nothing new.
    expect(
      controller.observe({ outcome: 'timeout', startedAt: 305, now: 320, saturated: true }),
    ).toBeUndefined();
    expect(
      controller.observe({ outcome: 'timeout', startedAt: 315, now: 330, saturated: true }),
    ).toEqual({ from: 66, to: 52, reason: 'timeout' });
  });

  it('ignores other failures', () => {
    const controller = new AdaptiveConcurrency({ min: 4, max: 10 });
    expect(
      controller.observe({ outcome: 'failed', startedAt: 0, now: 1, saturated: true }),
    ).toBeUndefined();
    expect(controller.limit).toBe(4);
  });

  it('cuts when answers get much slower than usual, and does not rise on slow answers', () => {
    const controller = new AdaptiveConcurrency({ min: 1, max: 100 });
    let t = 0;
    for (let i = 0; i < 100; i++, t += 100) controller.observe(ok(t, t + 100));
    const before = controller.limit;
    const changes: (ConcurrencyChange | undefined)[] = [];
    for (let i = 0; i < 20; i++, t += 1000) changes.push(controller.observe(ok(t, t + 1000)));
    const latency = changes.find((c) => c !== undefined);
    expect(latency).toMatchObject({ reason: 'latency' });
    expect(latency!.to).toBeLessThan(latency!.from);
    expect(controller.limit).toBeLessThan(before);
    expect(changes.some((c) => c?.reason === 'healthy')).toBe(false);
  });
});
