import { describe, expect, it } from 'vitest';
import {
  callerTraceparent,
  loadTracing,
  parseTraceparent,
  tracedOutcome,
} from '../../src/tracing.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('traceparent', () => {
  it('reads a W3C traceparent as a remote span context', async () => {
    await loadTracing();
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 1,
      isRemote: true,
    });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.traceFlags).toBe(0);
  });

  it('refuses what is not one: junk, version ff, zero ids, extra fields in version 00', async () => {
    await loadTracing();
    for (const value of [
      '',
      'garbage',
      `ff-${TRACE}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
    ]) {
      expect(parseTraceparent(value), value).toBeUndefined();
    }
    // A later version may carry more fields: the first four are still read.
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-extra`)?.spanId).toBe(SPAN);
  });

  it('is undefined outside any span', async () => {
    await loadTracing();
    expect(loadTracing()).toBeUndefined();
    expect(callerTraceparent()).toBeUndefined();
  });
});

describe('tracedOutcome', () => {
  it("names an attempt's outcome from Redis's verdict on its report", () => {
    expect(tracedOutcome('ok', 'completed')).toBe('completed');
    expect(tracedOutcome('dup', 'retry')).toBe('retry');
    expect(tracedOutcome('ok', 'rateLimited')).toBe('rate_limited');
    expect(tracedOutcome('ok', 'quotaExceeded')).toBe('quota_exceeded');
    expect(tracedOutcome('ok', 'failed')).toBe('failed');
    expect(tracedOutcome('stale', 'completed')).toBe('lease_lost');
    expect(tracedOutcome('unsent', 'completed')).toBe('unsent');
  });
});
