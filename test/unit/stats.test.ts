import { describe, it, expect } from 'vitest';
import { formatLogLine, type LogFields, type Logger } from '../../src/logger.js';
import { formatStatsLine, logStats, StatsCollector, type PoolStats } from '../../src/stats.js';

/** A clock the test moves by hand, starting at a whole second. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('StatsCollector counters', () => {
  it('starts at zero', () => {
    const clock = fakeClock();
    const stats = new StatsCollector(clock.now).snapshot(0, 5);
    expect(stats).toEqual({
      uptime: 0,
      processed: 0,
      succeeded: 0,
      failed: 0,
      retried: 0,
      stalled: 0,
      leasesLost: 0,
      rateLimited: 0,
      successRate: 0,
      active: 0,
      concurrency: 5,
      minConcurrency: 5,
      maxConcurrency: 5,
      throughput: 0,
    });
  });

  it('counts successes, failures, retries, stalls and lost leases', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    collector.recordSuccess();
    collector.recordSuccess();
    collector.recordFailure({ retried: true });
    collector.recordFailure({ retried: false });
    collector.recordFailure({ retried: true });
    collector.recordStalled();
    collector.recordLeaseLost();
    collector.recordLeaseLost();
    expect(collector.snapshot(2, 4)).toMatchObject({
      processed: 5,
      succeeded: 2,
      failed: 3,
      retried: 2,
      stalled: 1,
      leasesLost: 2,
      active: 2,
      concurrency: 4,
    });
  });

  it('does not count stalls or lost leases as processed', () => {
    const collector = new StatsCollector(fakeClock().now);
    collector.recordStalled();
    collector.recordLeaseLost();
    expect(collector.snapshot(0, 1).processed).toBe(0);
  });

  it('computes the success rate', () => {
    const collector = new StatsCollector(fakeClock().now);
    for (let i = 0; i < 3; i++) collector.recordSuccess();
    collector.recordFailure({ retried: false });
    expect(collector.snapshot(0, 1).successRate).toBe(0.75);
  });

  it('measures uptime from construction, and from reset()', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    clock.advance(5000);
    expect(collector.snapshot(0, 1).uptime).toBe(5000);
    collector.reset();
    clock.advance(1500);
    expect(collector.snapshot(0, 1).uptime).toBe(1500);
  });

  it('returns a frozen snapshot that later records do not change', () => {
    const collector = new StatsCollector(fakeClock().now);
    const before = collector.snapshot(0, 1);
    expect(Object.isFrozen(before)).toBe(true);
    expect(() => {
      (before as { processed: number }).processed = 99;
    }).toThrow(TypeError);
    collector.recordSuccess();
    expect(before.processed).toBe(0);
    expect(collector.snapshot(0, 1).processed).toBe(1);
  });

  it('uses Date.now when no clock is given', () => {
    const collector = new StatsCollector();
    expect(collector.snapshot(0, 1).uptime).toBeGreaterThanOrEqual(0);
    expect(collector.snapshot(0, 1).uptime).toBeLessThan(5000);
  });
});

describe('StatsCollector throughput', () => {
  it('is attempts per minute over a full minute of uptime', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    for (let i = 0; i < 15; i++) {
      clock.advance(3000);
      collector.recordSuccess();
    }
    clock.advance(15_000); // 60 s since start
    expect(collector.snapshot(0, 1).throughput).toBe(15);
  });

  it('scales to a minute when the uptime is shorter', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    clock.advance(10_000);
    for (let i = 0; i < 5; i++) collector.recordSuccess();
    expect(collector.snapshot(0, 1).throughput).toBe(30);
  });

  it('counts no less than one second of uptime', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    clock.advance(100);
    collector.recordSuccess();
    expect(collector.snapshot(0, 1).throughput).toBe(60);
  });

  it('counts failures too', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    clock.advance(60_000);
    collector.recordFailure({ retried: true });
    collector.recordSuccess();
    expect(collector.snapshot(0, 1).throughput).toBe(2);
  });

  it('forgets attempts older than the 60 s window', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    for (let i = 0; i < 10; i++) collector.recordSuccess();
    clock.advance(30_000);
    for (let i = 0; i < 4; i++) collector.recordSuccess();
    clock.advance(30_000);
    expect(collector.snapshot(0, 1).throughput).toBe(4);
    clock.advance(30_000);
    expect(collector.snapshot(0, 1).throughput).toBe(0);
    // The counters are totals and keep everything.
    expect(collector.snapshot(0, 1).processed).toBe(14);
  });

  it('reuses a slot of the ring for a second a minute later without adding the old count', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    for (let i = 0; i < 7; i++) collector.recordSuccess();
    clock.advance(60_000); // the same slot of the ring, a minute later
    collector.recordSuccess();
    expect(collector.snapshot(0, 1).throughput).toBe(1);
  });

  it('forgets everything after a long idle spell', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    for (let i = 0; i < 100; i++) {
      clock.advance(500);
      collector.recordSuccess();
    }
    clock.advance(3_600_000);
    expect(collector.snapshot(0, 1).throughput).toBe(0);
  });
});

const base: PoolStats = {
  uptime: 60_000,
  processed: 15,
  succeeded: 14,
  failed: 1,
  retried: 1,
  stalled: 0,
  leasesLost: 0,
  rateLimited: 0,
  successRate: 14 / 15,
  active: 3,
  concurrency: 5,
  minConcurrency: 5,
  maxConcurrency: 5,
  throughput: 15,
};

describe('formatStatsLine', () => {
  it('formats the original deployment’s stats line', () => {
    expect(formatStatsLine(base)).toBe(
      '[Stats] Uptime: 60s | Processed: 15 | Success: 14 | Failed: 1 | Success Rate: 93.3% | Active: 3 | Throughput: 15.0/min',
    );
  });

  it('says n/a for the success rate before anything was processed', () => {
    const idle = { ...base, processed: 0, succeeded: 0, failed: 0, successRate: 0, active: 0 };
    expect(formatStatsLine({ ...idle, throughput: 0 })).toBe(
      '[Stats] Uptime: 60s | Processed: 0 | Success: 0 | Failed: 0 | Success Rate: n/a | Active: 0 | Throughput: 0.0/min',
    );
  });

  it("shows an adaptive pool's current concurrency and its bounds at the end", () => {
    const adaptive = { ...base, concurrency: 7, minConcurrency: 1, maxConcurrency: 32 };
    expect(formatStatsLine(adaptive)).toBe(
      '[Stats] Uptime: 60s | Processed: 15 | Success: 14 | Failed: 1 | Success Rate: 93.3% | Active: 3 | Throughput: 15.0/min | Concurrency: 7 (1-32)',
    );
    const collector = new StatsCollector(fakeClock().now);
    expect(collector.snapshot(0, 7, { min: 1, max: 32 })).toMatchObject({
      concurrency: 7,
      minConcurrency: 1,
      maxConcurrency: 32,
    });
  });

  it('rounds the uptime to whole seconds and throughput to one decimal', () => {
    const line = formatStatsLine({ ...base, uptime: 1499, throughput: 2.25 });
    expect(line).toContain('Uptime: 1s |');
    expect(line).toMatch(/Throughput: 2\.[23]\/min$/);
  });

  it('formats a snapshot of a collector', () => {
    const clock = fakeClock();
    const collector = new StatsCollector(clock.now);
    for (let i = 0; i < 14; i++) {
      clock.advance(4000);
      collector.recordSuccess();
    }
    clock.advance(4000);
    collector.recordFailure({ retried: false });
    expect(formatStatsLine(collector.snapshot(3, 5))).toBe(
      '[Stats] Uptime: 60s | Processed: 15 | Success: 14 | Failed: 1 | Success Rate: 93.3% | Active: 3 | Throughput: 15.0/min',
    );
  });
});

describe('logStats', () => {
  it("logs the original's [Stats] line through the default formatter, with every number as a field", () => {
    const calls: [string, LogFields | undefined][] = [];
    const logger: Logger = {
      info: (message, fields) => calls.push([message, fields]),
      warn: () => {},
      error: () => {},
    };
    logStats(logger, base, { queue: 'pages' });
    expect(calls).toHaveLength(1);
    const [message, fields] = calls[0]!;
    expect(formatLogLine(message, fields)).toBe(formatStatsLine(base));
    expect(fields).toEqual({
      queue: 'pages',
      scope: 'Stats',
      uptimeMs: base.uptime,
      processed: base.processed,
      succeeded: base.succeeded,
      failed: base.failed,
      retried: base.retried,
      rateLimited: base.rateLimited,
      stalled: base.stalled,
      leasesLost: base.leasesLost,
      successRate: base.successRate,
      active: base.active,
      concurrency: base.concurrency,
      minConcurrency: base.minConcurrency,
      maxConcurrency: base.maxConcurrency,
      throughput: base.throughput,
    });
  });
});
