// The page handler's reading of the API's x-ratelimit-* headers (pure, no server).
import { describe, expect, it } from 'vitest';
import { parseResetDuration, RateLimitHeadroom } from '../../examples/ebook/rate-limit-headroom.js';

const headers = (h: Record<string, string>) => new Headers(h);

describe('rate-limit headroom from x-ratelimit headers', () => {
  it("parses OpenAI's reset durations and refuses anything else", () => {
    expect(parseResetDuration('1s')).toBe(1000);
    expect(parseResetDuration('6m0s')).toBe(360_000);
    expect(parseResetDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseResetDuration('120ms')).toBe(120);
    expect(parseResetDuration('2m')).toBe(120_000);
    expect(parseResetDuration('0.25s')).toBe(250);
    for (const bad of ['', 'soon', '1x', '-1s', '1s2m'])
      expect(parseResetDuration(bad)).toBe(undefined);
  });

  it('holds a request that does not fit in the tokens or requests left until their reset', () => {
    const h = new RateLimitHeadroom();
    // Nothing known yet: send.
    expect(h.reserve(5000, 0)).toBe(0);
    h.update(
      headers({
        'x-ratelimit-remaining-requests': '2',
        'x-ratelimit-reset-requests': '500ms',
        'x-ratelimit-remaining-tokens': '3000',
        'x-ratelimit-reset-tokens': '2s',
      }),
      1000,
    );
    // 1,800 fits in 3,000 and is counted; the next 1,800 does not: wait for the tokens' reset.
    expect(h.reserve(1800, 1100)).toBe(0);
    expect(h.reserve(1800, 1200)).toBe(1800);
    // A small one still fits (1,200 left), and uses the last request.
    expect(h.reserve(1000, 1300)).toBe(0);
    // No request left: wait for the requests' reset, whatever the tokens say.
    expect(h.reserve(10, 1400)).toBe(100);
    // Once the resets pass, the old figures no longer hold anything back.
    expect(h.reserve(1800, 3100)).toBe(0);
  });

  it('ignores answers without the headers, or with values it does not understand', () => {
    const h = new RateLimitHeadroom();
    h.update(headers({ 'x-ratelimit-remaining-tokens': '0' }), 0); // no reset: ignored
    h.update(
      headers({ 'x-ratelimit-remaining-tokens': 'lots', 'x-ratelimit-reset-tokens': '1s' }),
      0,
    );
    h.update(undefined, 0);
    expect(h.reserve(1000, 10)).toBe(0);
  });
});
