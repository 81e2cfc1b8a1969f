import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addEbook,
  waitForEbook,
  type PageProgress,
  type PageResult,
} from '../../examples/ebook/ebook.js';
import { estimatePageTokens, pageMaxTokens } from '../../examples/ebook/budget.js';
import { createPageHandler } from '../../examples/ebook/page-handler.js';
import { useEbookQueue, testPlan } from '../support/ebook.js';
import {
  echoPage,
  pageNumber,
  reply,
  splitText,
  startMockOpenAI,
  type MockOpenAI,
  type RecordedRequest,
} from '../support/mock-openai.js';
import { sleep, until } from '../support/redis.js';

describe('the OpenAI page handler, against a mock of the API', () => {
  const h = useEbookQueue('ebook-handler');
  let mock: MockOpenAI;
  const handler = () =>
    createPageHandler({ apiKey: 'test-key', baseURL: mock.url, model: 'test-model' });

  beforeEach(async () => {
    mock = await startMockOpenAI();
  });
  afterEach(async () => {
    await mock.close();
  });

  it('generates a 20-page ebook with its pages in order', async () => {
    // Answers take 20-150 ms at random, so pages finish out of order.
    mock.setScript((r) => echoPage(20 + Math.floor(Math.random() * 130))(r));
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 5 });
    await pool.start();
    const meta = await addEbook(queue, testPlan(20));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 60_000 });

    expect(ebook.progress).toMatchObject({ total: 20, completed: 20, failed: 0 });
    ebook.pages.forEach((page, i) => {
      expect(page.state).toBe('completed');
      if (page.state !== 'completed') return;
      expect(page.index).toBe(i);
      expect(page.result).toMatchObject({
        index: i,
        title: `Page title ${i + 1}`,
        text: `Text of page ${i + 1}.`,
        model: 'test-model',
        usage: { promptTokens: 50, completionTokens: 100, totalTokens: 150 },
      });
    });
    expect(mock.requests).toHaveLength(20);
    const first = mock.requests[0]!;
    expect(first.headers.authorization).toBe('Bearer test-key');
    expect(first.body.model).toBe('test-model');
    // The prompt carries the ebook's title, its outline and this page's place in it.
    expect(first.prompt).toContain('"All About Honey Bees"');
    expect(first.prompt).toContain('20. Page title 20');
    expect(new Set(mock.requests.map(pageNumber))).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => i + 1)),
    );
  });

  it('retries a page answered 429 with retry-after: 2 no sooner than 2 s later, and sends nothing in between', async () => {
    // Three pages run at once. The first request to arrive is answered 429 once all three are in;
    // the other two are answered 300 ms later, so two slots are free during the hold and must stay idle.
    let limited: RecordedRequest | undefined;
    // Why the three first requests did not all arrive within 5 s, if they did not (asserted below).
    let notAllIn: unknown;
    let limitedAnswered: () => void = () => {};
    const answered = new Promise<void>((resolve) => (limitedAnswered = resolve));
    mock.setScript(async (r) => {
      if (!limited) {
        limited = r;
        await mock.waitForRequests(3, 5000).catch((error: unknown) => {
          notAllIn = error;
        });
        setImmediate(limitedAnswered);
        return reply.rateLimited(2);
      }
      if (r.n <= 3) {
        await answered;
        return reply.completion(`Text of page ${pageNumber(r)}.`, { delay: 300 });
      }
      return reply.completion(`Text of page ${pageNumber(r)}.`);
    });
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 3 });
    const events: { jobId: string; retryAfter: number }[] = [];
    pool.on('rateLimited', ({ job, retryAfter }) => events.push({ jobId: job.id, retryAfter }));
    await pool.start();
    const meta = await addEbook(queue, testPlan(6));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });

    expect(ebook.progress).toMatchObject({ completed: 6, failed: 0 });
    // The three pages did run at once: all three requests were in before the 429.
    expect(notAllIn).toBeUndefined();
    expect(events).toEqual([{ jobId: expect.any(String), retryAfter: 2000 }]);
    const limitedAt = limited!.answeredAt!;
    expect(limited!.reply).toBe(429);
    // The two other first requests were answered well inside the hold: their slots were free.
    for (const r of mock.requests.slice(1, 3)) expect(r.answeredAt!).toBeLessThan(limitedAt + 2000);
    // Nothing reached the API during the 2 s it asked for: every later request came after.
    const later = mock.requests.slice(3);
    expect(later).toHaveLength(4);
    for (const r of later) expect(r.at - limitedAt).toBeGreaterThanOrEqual(1995);
    // The page itself was retried (after the hold), and the 429 did not cost it an attempt.
    const retried = later.filter((r) => pageNumber(r) === pageNumber(limited!));
    expect(retried).toHaveLength(1);
    expect((await queue.getJob(events[0]!.jobId))?.attempts).toBe(1);
  });

  it('succeeds on attempt 3 after two 500s', async () => {
    mock.setScript((r) =>
      r.n <= 2 ? reply.serverError(500) : reply.completion(`Text of page ${pageNumber(r)}.`),
    );
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 1, attempts: 4 });
    const retries: { attempt: number; message: string }[] = [];
    let completedOn = 0;
    pool.on('retrying', ({ attempt, error }) => retries.push({ attempt, message: error.message }));
    pool.on('completed', ({ attempt }) => (completedOn = attempt));
    await pool.start();
    const meta = await addEbook(queue, testPlan(1));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });

    expect(ebook.pages[0]).toMatchObject({
      state: 'completed',
      result: { text: 'Text of page 1.' },
    });
    expect(completedOn).toBe(3);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retries[0]!.message).toContain('OpenAI API 500');
    expect(mock.requests.map((r) => r.reply)).toEqual([500, 500, 200]);
  });

  it('fails a page at once on a 400, with the API message', async () => {
    const apiMessage = "Invalid value for 'model': 'no-such-model'.";
    mock.setScript(() => reply.badRequest(apiMessage, 'model'));
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 1, attempts: 4 });
    const failed: { attempt: number; message: string }[] = [];
    let retried = 0;
    pool.on('failed', ({ attempt, error }) => failed.push({ attempt, message: error.message }));
    pool.on('retrying', () => retried++);
    await pool.start();
    const meta = await addEbook(queue, testPlan(1));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });

    const page = ebook.pages[0]!;
    expect(page.state).toBe('failed');
    expect(page.state === 'failed' && page.error).toBe(`OpenAI API 400: ${apiMessage}`);
    expect(failed).toEqual([{ attempt: 1, message: `OpenAI API 400: ${apiMessage}` }]);
    expect(retried).toBe(0);
    expect(mock.requests).toHaveLength(1);
  });

  it('aborts a hanging request at the job timeout, and the API sees the socket close', async () => {
    mock.setScript(() => reply.hang());
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 1, attempts: 1, timeout: 1500 });
    let startedAt = 0;
    pool.on('active', () => (startedAt = Date.now()));
    await pool.start();
    const meta = await addEbook(queue, testPlan(1));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });

    const page = ebook.pages[0]!;
    expect(page.state === 'failed' && page.error).toMatch(/timed out after 1500 ms/);
    const request = mock.requests[0]!;
    expect(request.reply).toBe('hang');
    // The handler passed the job's signal on: the SDK dropped the connection when it fired.
    await until(() => request.abortedAt !== undefined, 'the mock to see the socket close', 5000);
    expect(request.abortedAt! - startedAt).toBeGreaterThanOrEqual(1490);
    expect(mock.requests).toHaveLength(1);
  });

  it('streams each page and reports the text so far as progress, seen in order by a follower', async () => {
    const text = 'Bees make honey from nectar, and wax from their own bodies.';
    mock.setScript(() => reply.completion(text, { chunks: splitText(text, 6), chunkDelay: 60 }));
    const queue = h.queue();
    // The follower has queues and connections of its own, as another process would.
    const follower = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 2 });
    await pool.start();
    const meta = await addEbook(queue, testPlan(2));
    const seen = new Map<number, PageProgress[]>();
    const done = await follower.waitForBatch<PageResult>(meta.id, {
      timeout: 30_000,
      onItemProgress: ({ index, progress }) =>
        seen.set(index, [...(seen.get(index) ?? []), progress as PageProgress]),
    });
    expect(done).toMatchObject({ completed: 2, failed: 0 });
    for (const index of [0, 1]) {
      const reports = seen.get(index) ?? [];
      // Several reports per page (10 chunks, 60 ms apart; writes coalesced to one per 100 ms).
      expect(reports.length, `reports of page ${index + 1}`).toBeGreaterThanOrEqual(2);
      for (const [i, report] of reports.entries()) {
        expect(text.startsWith(report.text)).toBe(true);
        expect(report.chars).toBe(report.text.length);
        if (i > 0) expect(report.chars).toBeGreaterThanOrEqual(reports[i - 1]!.chars);
      }
      expect(reports.at(-1)).toEqual({ chars: text.length, text, done: true });
      expect(reports.slice(0, -1).some((r) => r.chars < text.length)).toBe(true);
    }
    const item = done.items[0]!;
    expect(item.state === 'completed' && item.result).toMatchObject({
      text,
      usage: { promptTokens: 50, completionTokens: 100, totalTokens: 150 },
    });
    // Asked as a stream, with the usage in its last chunk.
    for (const r of mock.requests) {
      expect(r.body.stream).toBe(true);
      expect(r.body.stream_options).toEqual({ include_usage: true });
    }
  });

  it('stops a page being written when it is cancelled: the request is aborted mid-stream', async () => {
    const text = 'word '.repeat(200);
    mock.setScript(() => reply.completion(text, { chunks: splitText(text, 5), chunkDelay: 50 }));
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 1, attempts: 3 });
    await pool.start();
    const meta = await addEbook(queue, testPlan(1));
    await until(async () => {
      const progress = (await queue.getJob(meta.jobIds[0]!))?.progress as PageProgress | undefined;
      return (progress?.chars ?? 0) > 0;
    }, 'the page to be partly written');
    await queue.cancel(meta.jobIds[0]!, { reason: 'the reader left' });
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });

    const page = ebook.pages[0]!;
    expect(page.state).toBe('failed');
    expect(page.state === 'failed' && page.error).toMatch(/the reader left/);
    const request = mock.requests[0]!;
    await until(() => request.abortedAt !== undefined, 'the mock to see the socket close', 5000);
    // It stopped long before the 200 chunks of the page: no more tokens were paid for.
    expect(request.chunksSent).toBeLessThan(150);
    expect(mock.requests).toHaveLength(1);
  });

  it('retries a page whose stream breaks off with an error event', async () => {
    mock.setScript((r) =>
      r.n === 1
        ? reply.completion('Half a pa', { failAfterChunks: 1, chunks: ['Half ', 'a pa'] })
        : reply.completion(`Text of page ${pageNumber(r)}.`),
    );
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 1, attempts: 3 });
    const retries: string[] = [];
    pool.on('retrying', ({ error }) => retries.push(error.message));
    await pool.start();
    const meta = await addEbook(queue, testPlan(1));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });
    expect(ebook.pages[0]).toMatchObject({
      state: 'completed',
      result: { text: 'Text of page 1.' },
    });
    expect(retries).toEqual([expect.stringMatching(/broke off the stream/)]);
    expect(mock.requests).toHaveLength(2);
  });

  it('holds the next page until the reset the x-ratelimit headers name when it would not fit, sending nothing into a 429', async () => {
    // The first answer says 0 requests are left until 1.5 s from now.
    let firstAnswered = 0;
    mock.setScript((r) => {
      if (r.n === 1) {
        firstAnswered = Date.now();
        return reply.completion(`Text of page ${pageNumber(r)}.`, {
          headers: {
            'x-ratelimit-remaining-requests': '0',
            'x-ratelimit-reset-requests': '1.5s',
            'x-ratelimit-remaining-tokens': '100000',
            'x-ratelimit-reset-tokens': '1s',
          },
        });
      }
      return reply.completion(`Text of page ${pageNumber(r)}.`);
    });
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 1, attempts: 1 });
    const held: number[] = [];
    pool.on('rateLimited', ({ retryAfter }) => held.push(retryAfter));
    await pool.start();
    const meta = await addEbook(queue, testPlan(2));
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });
    expect(ebook.progress).toMatchObject({ completed: 2, failed: 0 });
    // Two requests, no 429: the second page waited for the reset before it was sent.
    expect(mock.requests.map((r) => r.reply)).toEqual([200, 200]);
    expect(mock.requests[1]!.at - firstAnswered).toBeGreaterThanOrEqual(1400);
    expect(held).toHaveLength(1);
    expect(held[0]).toBeGreaterThan(1000);
    // The hold spent no attempt (attempts: 1 would have failed the page otherwise).
    for (const id of meta.jobIds) expect((await queue.getJob(id))?.attempts).toBe(1);
  });

  it('pauses the queue when the account is out of quota: the page waits, unspent, for a resume', async () => {
    mock.setScript((r) =>
      r.n === 1 ? reply.quotaExceeded() : reply.completion(`Text of page ${pageNumber(r)}.`),
    );
    const queue = h.queue();
    const pool = h.pool({ page: handler() }, { concurrency: 1, attempts: 4 });
    const quota: string[] = [];
    pool.on('quotaExceeded', ({ error }) => quota.push(error.message));
    await pool.start();
    const meta = await addEbook(queue, testPlan(2));
    await until(() => queue.isPaused(), 'the queue to pause');
    // The script pauses the queue; the pool emits the event once the reply of that call reaches it.
    await until(() => quota.length > 0, 'the quotaExceeded event');
    expect(quota).toEqual([
      expect.stringMatching(
        /^OpenAI API 429 \(insufficient_quota\): You exceeded your current quota/,
      ),
    ]);
    // Nothing more is sent while the queue is paused, and the page spent no attempt.
    await sleep(1000);
    expect(mock.requests).toHaveLength(1);
    const job = await queue.getJob(meta.jobIds[pageNumber(mock.requests[0]!)! - 1]!);
    expect(job).toMatchObject({ state: 'waiting', attempts: 0 });
    // Credit added: a resume writes the ebook.
    await queue.resume();
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });
    expect(ebook.progress).toMatchObject({ completed: 2, failed: 0 });
    expect(mock.requests).toHaveLength(3);
  });
  it("charges each page its estimated tokens and settles them with the API's usage", async () => {
    const plan = testPlan(2);
    const estimate = estimatePageTokens({
      ebookId: 'x',
      topic: plan.topic,
      title: plan.title,
      outline: plan.pages,
      index: 0,
      mode: 'openai',
      words: plan.words,
    });
    // Room for one page's estimate and the other's real usage (150 tokens at the mock), not two estimates.
    mock.setScript((r) => echoPage(400)(r));
    const queue = h.queue();
    const pool = h.pool(
      { page: handler() },
      { concurrency: 2, limiter: [{ max: estimate + 200, duration: 60_000, by: 'cost' }] },
    );
    await pool.start();
    const meta = await addEbook(queue, plan);
    const ebook = await waitForEbook(queue, meta.id, { timeout: 30_000 });
    expect(ebook.progress).toMatchObject({ completed: 2, failed: 0 });
    const [first, second] = mock.requests;
    // The second page waited for the first to settle (its estimate replaced by 150 tokens),
    // and no longer: it did not wait for the window to pass (a minute).
    expect(second!.at).toBeGreaterThanOrEqual(first!.answeredAt!);
    expect(second!.at - first!.answeredAt!).toBeLessThan(30_000);
    // Each request asked for at most the tokens the estimate counted on.
    expect(first!.body.max_completion_tokens).toBe(pageMaxTokens(plan.words));
  });
});
