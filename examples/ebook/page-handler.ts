/**
 * The page generator: a `redis-worker-pool` handler that writes one page of
 * an ebook with the official `openai` SDK, against OpenAI or any server that
 * speaks its chat completions API (Ollama, vLLM, llama.cpp) via `baseURL`.
 *
 * The page is streamed (`stream: true`, with `stream_options.include_usage`
 * for the token count) and the text so far is reported as the job's progress
 * at each chunk (the pool coalesces the writes), so followers see the page
 * being written. The job's `signal` goes to the request: a timeout, a lost
 * lease or `queue.cancel()` closes the socket and no more tokens are paid for.
 *
 * The queue owns retries, so the SDK's own are off (`maxRetries: 0`), and
 * every SDK error is turned into what the queue understands:
 *
 * | the API says                         | the handler throws                                   |
 * | ------------------------------------ | ---------------------------------------------------- |
 * | 429 with `retry-after(-ms)`          | `RateLimitError(ms)`: every pool of the queue waits   |
 * | 429 `insufficient_quota`, billing    | `QuotaExceededError`: the queue pauses until resumed |
 * | 408, 409, 5xx, connection, timeout   | `Error`: retried with the queue's backoff            |
 * | an error event or a cut mid-stream   | `Error`: retried with the queue's backoff            |
 * | 400, 401, 403, 404, 422 (other 4xx)  | `UnrecoverableError` with the API's own message      |
 *
 * Before a 429, too: the `x-ratelimit-remaining-*` headers of the last answer
 * say what is left of the API's limits; a page that would not fit waits out
 * their reset, unsent (see rate-limit-headroom.ts).
 */
import { trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import {
  QuotaExceededError,
  RateLimitError,
  UnrecoverableError,
  type HandlerContext,
  type Job,
} from 'redis-worker-pool';
import type { PageJobData, PageProgress, PageResult } from './ebook.js';
import { estimateTokens, pageMaxTokens } from './budget.js';
import { pageMessages, stripLeadingTitle } from './prompts.js';
import { RateLimitHeadroom } from './rate-limit-headroom.js';

export const DEFAULT_MODEL = 'gpt-4o-mini';

/** A 429 without any `retry-after` header: hold the queue this long. */
export const DEFAULT_RETRY_AFTER_MS = 5000;

export interface PageHandlerOptions {
  /** API key; a local server that wants none still needs a non-empty string (e.g. `ollama`). */
  apiKey?: string;
  /** Any OpenAI-compatible base URL, e.g. `http://localhost:11434/v1`. @default OpenAI's */
  baseURL?: string;
  /** @default 'gpt-4o-mini' */
  model?: string;
  /**
   * The SDK's own per-request timeout, in ms: a client-side timeout is a
   * retryable error. The job's `timeout` (`GENERATION_TIMEOUT`) aborts the
   * request through its signal in any case. @default the SDK's (10 minutes)
   */
  requestTimeout?: number;
  /** Ms to hold the queue after a 429 that names no delay. @default 5000 */
  defaultRetryAfter?: number;
  /** A client of your own (headers, a proxy, a custom fetch); its retries are turned off. */
  client?: OpenAI;
  /**
   * Read the API's `x-ratelimit-remaining-*` / `x-ratelimit-reset-*` headers and
   * hold a page that would not fit in what is left until their reset (a
   * `RateLimitError`: the queue waits, no attempt spent) instead of sending it
   * into a 429. @default true
   */
  rateLimitHeaders?: boolean;
}

export type PageHandler = (
  job: Job<PageJobData, 'page'>,
  context: HandlerContext,
) => Promise<PageResult>;

/** Build the `page` handler for a `WorkerPool<EbookJobs>`. */
export function createPageHandler(options: PageHandlerOptions = {}): PageHandler {
  const model = options.model ?? DEFAULT_MODEL;
  const client = options.client
    ? options.client.withOptions({ maxRetries: 0 })
    : new OpenAI({
        apiKey: options.apiKey,
        baseURL: options.baseURL,
        maxRetries: 0,
        ...(options.requestTimeout !== undefined ? { timeout: options.requestTimeout } : {}),
      });
  const defaultRetryAfter = options.defaultRetryAfter ?? DEFAULT_RETRY_AFTER_MS;
  const headroom = options.rateLimitHeaders === false ? undefined : new RateLimitHeadroom();

  return async (job, { signal, progress, reportCost }) => {
    const entry = job.data.outline[job.data.index];
    // The attempt's span, when the app registered an OpenTelemetry SDK (see docs/tracing.md);
    // without one, `getActiveSpan()` is undefined and this costs nothing.
    const span = trace.getActiveSpan();
    span?.setAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
    });
    const report = (value: PageProgress) =>
      // Best effort: a progress write that fails (Redis away for a moment) must not fail the page.
      progress(value).catch(() => undefined);
    let text = '';
    let responseModel = '';
    let finishReason: string | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    const messages = pageMessages(job.data);
    // What OpenAI counts against its tokens per minute: the prompt and `max_tokens`.
    const need = estimateTokens(messages) + pageMaxTokens(job.data.words);
    const wait = headroom?.reserve(need) ?? 0;
    if (wait > 0) {
      reportCost(0); // nothing sent: the estimate charged to a cost window is refunded
      throw new RateLimitError(
        wait,
        `The model API's x-ratelimit-remaining headers leave less than this page needs (1 request, ${need} tokens) until their reset: waiting ${wait} ms instead of sending it into a 429`,
      );
    }
    try {
      const { data: stream, response } = await client.chat.completions
        .create(
          {
            model: job.data.model ?? model,
            messages,
            // The bound the job's `cost` estimate counted on.
            max_completion_tokens: pageMaxTokens(job.data.words),
            stream: true,
            stream_options: { include_usage: true },
          },
          { signal },
        )
        .withResponse();
      headroom?.update(response.headers);
      for await (const chunk of stream) {
        responseModel ||= chunk.model;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const delta = choice?.delta?.content;
        if (!delta) continue;
        text += delta;
        void report({ chars: text.length, text });
      }
    } catch (error) {
      if (error instanceof OpenAI.APIError) headroom?.update(error.headers);
      // A 429 (slow down, or out of credit) was refused before any token: settle the estimate to 0.
      if (error instanceof OpenAI.APIError && error.status === 429) reportCost(0);
      throw classifyOpenAIError(error, { signal, defaultRetryAfter });
    }
    // Settle the estimate charged to a `by: 'cost'` window with what the API counted
    // (servers that send no usage: about four characters a token, prompt and page).
    reportCost(usage?.total_tokens ?? estimateTokens(messages) + Math.ceil(text.length / 4));
    // The SDK ends a stream quietly when it is aborted: the pool's reason is the outcome.
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('Aborted');
    // A stream cut short (a proxy, a server restart) ends with no finish_reason: write it again.
    if (!finishReason)
      throw new Error(
        `The model API's stream ended before the page was finished (${text.length} characters in)`,
      );
    span?.setAttributes({
      'gen_ai.response.model': responseModel || model,
      'gen_ai.usage.input_tokens': usage?.prompt_tokens ?? 0,
      'gen_ai.usage.output_tokens': usage?.completion_tokens ?? 0,
    });
    if (!text.trim()) {
      // An empty page (a content filter, a model that stopped at once) may well come out right next time.
      throw new Error(`The model returned an empty page (finish_reason: ${finishReason})`);
    }
    const page = stripLeadingTitle(text, entry?.title);
    void report({ chars: page.length, text: page, done: true });
    return {
      index: job.data.index,
      ...(entry ? { title: entry.title } : {}),
      text: page,
      model: responseModel || model,
      usage: {
        promptTokens: usage?.prompt_tokens ?? 0,
        completionTokens: usage?.completion_tokens ?? 0,
        totalTokens: usage?.total_tokens ?? 0,
      },
    };
  };
}

/**
 * Turn whatever the SDK threw into an error the queue acts on. Exported for
 * reuse (and tests): anything that calls a model API can classify the same way.
 */
export function classifyOpenAIError(
  error: unknown,
  {
    signal,
    defaultRetryAfter = DEFAULT_RETRY_AFTER_MS,
  }: { signal?: AbortSignal; defaultRetryAfter?: number } = {},
): Error {
  // Our own abort (job timeout, lost lease, pool closing): report the pool's reason, not the SDK's echo of it.
  if (signal?.aborted && signal.reason instanceof Error) return signal.reason;
  if (!(error instanceof OpenAI.APIError))
    return error instanceof Error ? error : new Error(String(error));
  const apiMessage = apiErrorMessage(error);
  // Order matters: the timeout and abort errors are APIConnectionError / APIError subclasses.
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    return new Error(`The model API did not answer in time: ${apiMessage}`, { cause: error });
  if (error instanceof OpenAI.APIUserAbortError)
    return new Error(`The request to the model API was aborted: ${apiMessage}`, { cause: error });
  if (error instanceof OpenAI.APIConnectionError)
    return new Error(`Could not reach the model API: ${apiMessage}`, { cause: error });

  // An out-of-credit answer is not a rate limit: no wait will fix it.
  if (isQuotaError(error)) {
    const what = [error.status, error.code && `(${error.code})`].filter(Boolean).join(' ');
    return quotaExceeded(`OpenAI API ${what}: ${apiMessage}`, error);
  }
  const status = error.status;
  // An error event in the middle of a stream has no status: the server broke off, try again.
  if (status === undefined)
    return new Error(`The model API broke off the stream: ${apiMessage}`, { cause: error });
  if (status === 429) {
    const retryAfter = retryAfterMs(error.headers) ?? defaultRetryAfter;
    return new RateLimitError(
      retryAfter,
      `OpenAI API 429: ${apiMessage} (retry after ${retryAfter} ms)`,
      {
        cause: error,
      },
    );
  }
  // The SDK retries exactly these itself; with its retries off, the queue does.
  if (status === 408 || status === 409 || status >= 500)
    return new Error(`OpenAI API ${status}: ${apiMessage}`, { cause: error });
  // 400, 401, 403, 404, 422...: the same request will get the same answer.
  return new UnrecoverableError(`OpenAI API ${status}: ${apiMessage}`, { cause: error });
}

/**
 * The account is out of credit or its billing is off: OpenAI's 429
 * `insufficient_quota`, its billing codes, or a 402 (OpenRouter and others).
 */
const QUOTA_CODES = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'billing_not_active',
]);

function isQuotaError(error: InstanceType<typeof OpenAI.APIError>): boolean {
  return (typeof error.code === 'string' && QUOTA_CODES.has(error.code)) || error.status === 402;
}

/**
 * What an out-of-credit answer becomes: a `QuotaExceededError`, which hands the page
 * back to the queue without spending an attempt and pauses the whole queue (every
 * pool, every process) until someone resumes it, since no wait will add credit.
 */
function quotaExceeded(message: string, cause: Error): Error {
  return new QuotaExceededError(message, { cause });
}

/** The API's own message (`error.message` of its JSON body), else the SDK's. */
function apiErrorMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' && body.message ? body.message : error.message;
}

/**
 * The delay a 429 asks for, in ms: `retry-after-ms` (OpenAI's, in ms), else
 * `retry-after` in seconds or as an HTTP date. `undefined` when neither says.
 */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
