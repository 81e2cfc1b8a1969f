import OpenAI from 'openai';
import { QuotaExceededError, RateLimitError, UnrecoverableError } from 'redis-worker-pool';
import { describe, expect, it } from 'vitest';
import {
  estimatePageTokens,
  outlineCacheKey,
  pageCacheKey,
  pageMaxTokens,
} from '../../examples/ebook/budget.js';
import type { PageJobData } from '../../examples/ebook/ebook.js';
import { budgetOptions, parseRateLimit } from '../../examples/ebook/generator.js';
import { classifyOpenAIError, retryAfterMs } from '../../examples/ebook/page-handler.js';
import { pageMessages, parseOutline, stripLeadingTitle } from '../../examples/ebook/prompts.js';

/** An SDK error as the SDK builds it from a response. */
function apiError(
  status: number,
  message: string,
  headers: Record<string, string> = {},
  code?: string,
) {
  return OpenAI.APIError.generate(
    status,
    { error: { message, type: 'x', param: null, code: code ?? null } },
    undefined,
    new Headers(headers),
  );
}

describe('classifying OpenAI SDK errors', () => {
  it('turns a 429 into a RateLimitError that obeys retry-after (seconds) or retry-after-ms', () => {
    const seconds = classifyOpenAIError(apiError(429, 'Slow down', { 'retry-after': '2' }));
    expect(seconds).toBeInstanceOf(RateLimitError);
    expect((seconds as RateLimitError).retryAfter).toBe(2000);
    expect(seconds.message).toContain('Slow down');
    const ms = classifyOpenAIError(
      apiError(429, 'Slow down', { 'retry-after-ms': '1500', 'retry-after': '9' }),
    );
    expect((ms as RateLimitError).retryAfter).toBe(1500);
    const none = classifyOpenAIError(apiError(429, 'Slow down'), { defaultRetryAfter: 7000 });
    expect((none as RateLimitError).retryAfter).toBe(7000);
  });

  it('reads retry-after as an HTTP date too', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(
      3000,
    );
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('pauses the queue on a 429 for an exhausted quota: waiting will not help', () => {
    const error = classifyOpenAIError(
      apiError(429, 'You exceeded your current quota', {}, 'insufficient_quota'),
    );
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error.message).toBe(
      'OpenAI API 429 (insufficient_quota): You exceeded your current quota',
    );
  });

  it.each([
    [429, 'billing_not_active'],
    [400, 'billing_hard_limit_reached'],
    [402, undefined],
  ])('treats a %i %s as out of credit, not as a rate limit or a bad request', (status, code) => {
    const error = classifyOpenAIError(apiError(status, 'Check your billing details', {}, code));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error.message).toBe(
      `OpenAI API ${status}${code ? ` (${code})` : ''}: Check your billing details`,
    );
  });

  it('retries a stream that broke off with an error event (an APIError with no status)', () => {
    const thrown = new OpenAI.APIError(undefined, { message: 'Overloaded' }, undefined, undefined);
    const error = classifyOpenAIError(thrown);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error).not.toBeInstanceOf(RateLimitError);
    expect(error.message).toBe('The model API broke off the stream: Overloaded');
  });

  it.each([500, 502, 503, 408, 409])('retries a %i with the queue backoff', (status) => {
    const error = classifyOpenAIError(apiError(status, 'Try again'));
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error).not.toBeInstanceOf(RateLimitError);
    expect(error.message).toBe(`OpenAI API ${status}: Try again`);
  });

  it.each([400, 401, 403, 404, 422])('fails a %i at once with the API message', (status) => {
    const error = classifyOpenAIError(apiError(status, 'The API says no'));
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe(`OpenAI API ${status}: The API says no`);
  });

  it('retries connection errors and client-side timeouts', () => {
    for (const thrown of [
      new OpenAI.APIConnectionError({ message: 'Connection error.' }),
      new OpenAI.APIConnectionTimeoutError(),
    ]) {
      const error = classifyOpenAIError(thrown);
      expect(error).not.toBeInstanceOf(UnrecoverableError);
      expect(error.cause).toBe(thrown);
    }
  });

  it("reports the pool's own abort reason, not the SDK's echo of it", () => {
    const controller = new AbortController();
    const reason = new Error('Job timed out after 100 ms');
    controller.abort(reason);
    expect(classifyOpenAIError(new OpenAI.APIUserAbortError(), { signal: controller.signal })).toBe(
      reason,
    );
  });
});

describe('reading what the model wrote', () => {
  it('reads an outline from JSON in a code fence, and trims it to the pages asked for', () => {
    const text =
      '```json\n{"title": "Bees", "pages": [{"title": "A", "summary": "a"}, {"title": "B"}, "C"]}\n```';
    expect(parseOutline(text, 2)).toEqual({
      title: 'Bees',
      pages: [
        { title: 'A', summary: 'a' },
        { title: 'B', summary: '' },
      ],
    });
    expect(parseOutline('no json here', 3)).toBeNull();
    expect(parseOutline('{"pages": []}', 3)).toBeNull();
  });

  it('drops a heading that repeats the page title', () => {
    expect(stripLeadingTitle('# The Hive\n\nBees live here.', 'The hive')).toBe('Bees live here.');
    expect(stripLeadingTitle('## Other\n\nText', 'The hive')).toBe('## Other\n\nText');
  });

  it('parses rate limits', () => {
    expect(parseRateLimit('60/min')).toEqual({ max: 60, duration: 60_000 });
    expect(parseRateLimit('10/s')).toEqual({ max: 10, duration: 1000 });
    expect(parseRateLimit('3/1500')).toEqual({ max: 3, duration: 1500 });
    expect(() => parseRateLimit('fast')).toThrow(/like `60\/min`/);
  });
});

describe("a page's token estimate, its cache key, and the budget flags", () => {
  const page = (over: Partial<PageJobData> = {}): PageJobData => ({
    ebookId: 'e1',
    topic: 'honey bees',
    title: 'Bees',
    outline: [
      { title: 'One', summary: 'a' },
      { title: 'Two', summary: 'b' },
    ],
    index: 0,
    mode: 'openai',
    words: 300,
    ...over,
  });

  it('estimates a page as its prompt (4 characters a token) plus the most it may write', () => {
    const chars = pageMessages(page()).reduce((n, m) => n + m.content.length, 0);
    expect(pageMaxTokens(300)).toBe(700);
    expect(estimatePageTokens(page())).toBe(Math.ceil(chars / 4) + 700);
  });

  it('keys a page by topic, prompt and model, not by the ebook it is in', () => {
    const key = pageCacheKey(page(), 'gpt-4o-mini');
    expect(key).toMatch(/^ebook:page:v1:[0-9a-f]{40}$/);
    expect(pageCacheKey(page({ ebookId: 'e2' }), 'gpt-4o-mini')).toBe(key);
    for (const other of [
      pageCacheKey(page(), 'gpt-4o'),
      pageCacheKey(page({ index: 1 }), 'gpt-4o-mini'),
      pageCacheKey(page({ words: 301 }), 'gpt-4o-mini'),
      pageCacheKey(page({ topic: 'wasps' }), 'gpt-4o-mini'),
      pageCacheKey(page({ outline: [{ title: 'One', summary: 'x' }] }), 'gpt-4o-mini'),
    ])
      expect(other).not.toBe(key);
    const outline = outlineCacheKey({ topic: 'bees', pages: 5, words: 300 }, 'm');
    expect(outlineCacheKey({ topic: 'bees', pages: 6, words: 300 }, 'm')).not.toBe(outline);
    expect(outlineCacheKey({ topic: 'bees', pages: 5, words: 300 }, 'n')).not.toBe(outline);
  });

  it('turns --rpm, --tpm and --max-workers into limiter windows and adaptive concurrency', () => {
    expect(budgetOptions({ rpm: '500', tpm: '200000', maxWorkers: '16' })).toEqual({
      limiter: [
        { max: 500, duration: 60_000 },
        { max: 200_000, duration: 60_000, by: 'cost' },
      ],
      concurrency: { min: 1, max: 16 },
    });
    // The environment's windows (RATE_LIMIT_RPM / _TPM) stay unless a flag replaces them.
    const env = { limiter: [{ max: 9, duration: 60_000, by: 'cost' as const }] };
    expect(budgetOptions({}, env)).toEqual({ limiter: env.limiter });
    expect(budgetOptions({ tpm: '100' }, env)).toEqual({
      limiter: [{ max: 100, duration: 60_000, by: 'cost' }],
    });
    expect(budgetOptions({ rateLimit: '10/s' }, env)).toEqual({
      limiter: [{ max: 10, duration: 1000 }, ...env.limiter],
    });
    expect(budgetOptions({})).toEqual({});
  });

  it.each([
    [{ rpm: '0' }, 'Expected --rpm to be an integer from 1 to 1000000, got `0`'],
    [{ tpm: 'lots' }, 'Expected --tpm to be an integer from 1 to 1000000000, got `lots`'],
    [{ maxWorkers: '2.5' }, 'Expected --max-workers to be an integer from 1 to 10000, got `2.5`'],
    [
      { rateLimit: 'fast' },
      'Expected a rate limit like `60/min`, `10/s` or `3/1500` (ms), got `fast`',
    ],
  ])('refuses %o with a clear message', (flags, message) => {
    expect(() => budgetOptions(flags)).toThrow(message);
  });
});
