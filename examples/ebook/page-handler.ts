/**
 * The page generator: a `redis-worker-pool` handler that writes one page of
 * an ebook with the official `openai` SDK, against OpenAI or any server that
 * speaks its chat completions API (Ollama, vLLM, llama.cpp) via `baseURL`.
 *
 * The queue owns retries, so the SDK's own are off (`maxRetries: 0`), and
 * every SDK error is turned into what the queue understands:
 *
 * | the API says                         | the handler throws                                   |
 * | ------------------------------------ | ---------------------------------------------------- |
 * | 429 with `retry-after(-ms)`          | `RateLimitError(ms)`: every pool of the queue waits   |
 * | 429 `insufficient_quota`             | `UnrecoverableError`: waiting will not add credit    |
 * | 408, 409, 5xx, connection, timeout   | `Error`: retried with the queue's backoff            |
 * | 400, 401, 403, 404, 422 (other 4xx)  | `UnrecoverableError` with the API's own message      |
 */
import { trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import {
  RateLimitError,
  UnrecoverableError,
  type HandlerContext,
  type Job,
} from 'redis-worker-pool';
import type { PageJobData, PageResult } from './ebook.js';
import { pageMessages, stripLeadingTitle } from './prompts.js';

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

  return async (job, { signal }) => {
    const entry = job.data.outline[job.data.index];
    // The attempt's span, when the app registered an OpenTelemetry SDK (see docs/tracing.md);
    // without one, `getActiveSpan()` is undefined and this costs nothing.
    const span = trace.getActiveSpan();
    span?.setAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
    });
    let completion: OpenAI.ChatCompletion;
    try {
      completion = await client.chat.completions.create(
        { model, messages: pageMessages(job.data) },
        { signal },
      );
    } catch (error) {
      throw classifyOpenAIError(error, { signal, defaultRetryAfter });
    }
    span?.setAttributes({
      'gen_ai.response.model': completion.model || model,
      'gen_ai.usage.input_tokens': completion.usage?.prompt_tokens ?? 0,
      'gen_ai.usage.output_tokens': completion.usage?.completion_tokens ?? 0,
    });
    const text = completion.choices[0]?.message?.content ?? '';
    if (!text.trim()) {
      // An empty page (a content filter, a model that stopped at once) may well come out right next time.
      throw new Error(
        `The model returned an empty page (finish_reason: ${completion.choices[0]?.finish_reason ?? 'none'})`,
      );
    }
    return {
      index: job.data.index,
      ...(entry ? { title: entry.title } : {}),
      text: stripLeadingTitle(text, entry?.title),
      model: completion.model || model,
      usage: {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        totalTokens: completion.usage?.total_tokens ?? 0,
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

  const status = error.status ?? 0;
  if (status === 429) {
    // A 429 for an empty account is not a rate limit: no wait will fix it.
    if (error.code === 'insufficient_quota')
      return new UnrecoverableError(`OpenAI API 429 (insufficient_quota): ${apiMessage}`, {
        cause: error,
      });
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
