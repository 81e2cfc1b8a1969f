/**
 * Picks the generator from the environment (OpenAI or offline) and builds
 * what the runner, the workers and the HTTP API need from it: the outline
 * planner and the `page` handler.
 */
import OpenAI from 'openai';
import {
  perMinute,
  UnrecoverableError,
  type HandlerContext,
  type Job,
  type LimiterWindow,
} from 'redis-worker-pool';
import type { EbookPlan, PageJobData, PageResult } from './ebook.js';
import {
  createOfflinePageHandler,
  DEFAULT_OFFLINE_LATENCY_MS,
  offlineOutline,
} from './offline-generator.js';
import { classifyOpenAIError, createPageHandler, DEFAULT_MODEL } from './page-handler.js';
import { outlineMessages, parseOutline } from './prompts.js';

export interface GeneratorConfig {
  /** `openai` when `OPENAI_API_KEY` is set, else `offline`. */
  mode: 'openai' | 'offline';
  apiKey?: string;
  baseURL?: string;
  model: string;
  /** `OPENAI_TIMEOUT`: the SDK's per-request timeout (ms). */
  requestTimeout?: number;
  /** `OFFLINE_LATENCY_MS`: simulated time per offline page. */
  offlineLatency: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL`, `OPENAI_TIMEOUT`, `OFFLINE_LATENCY_MS`. */
export function generatorConfigFromEnv(env: Env = process.env): GeneratorConfig {
  const apiKey = env.OPENAI_API_KEY?.trim() || undefined;
  const baseURL = env.OPENAI_BASE_URL?.trim() || undefined;
  const config: GeneratorConfig = {
    mode: apiKey ? 'openai' : 'offline',
    model: env.OPENAI_MODEL?.trim() || DEFAULT_MODEL,
    offlineLatency: readMs(env, 'OFFLINE_LATENCY_MS') ?? DEFAULT_OFFLINE_LATENCY_MS,
  };
  if (apiKey) config.apiKey = apiKey;
  if (baseURL) config.baseURL = baseURL;
  const timeout = readMs(env, 'OPENAI_TIMEOUT');
  if (timeout !== undefined) config.requestTimeout = timeout;
  return config;
}

function readMs(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw))
    throw new Error(`Expected \`${name}\` to be a number of milliseconds, got \`${raw}\``);
  return Number(raw);
}

/** `the model gpt-4o-mini at https://...`, for log lines. */
export function describeGenerator(config: GeneratorConfig): string {
  if (config.mode === 'offline') return 'the offline generator (no model)';
  return `the model ${config.model} at ${config.baseURL ?? 'https://api.openai.com/v1'}`;
}

type PageHandler = (job: Job<PageJobData, 'page'>, context: HandlerContext) => Promise<PageResult>;

/**
 * The `page` handler of a worker: offline pages are written offline by any
 * worker; pages of an ebook planned for a model need a worker with a key.
 */
export function createEbookPageHandler(config: GeneratorConfig): PageHandler {
  const offline = createOfflinePageHandler({ latency: config.offlineLatency });
  const online =
    config.mode === 'openai'
      ? createPageHandler({
          apiKey: config.apiKey,
          baseURL: config.baseURL,
          model: config.model,
          requestTimeout: config.requestTimeout,
        })
      : undefined;
  return async (job, context) => {
    if (job.data.mode === 'offline') return offline(job, context);
    if (!online) {
      // Retrying on this worker cannot help; failing says at once what to fix.
      throw new UnrecoverableError(
        `Page ${job.data.index + 1} of ebook ${job.data.ebookId} needs a model, but this worker has no OPENAI_API_KEY`,
      );
    }
    return online(job, context);
  };
}

export type OutlinePlanner = (
  request: { topic: string; pages: number; words: number },
  options?: { signal?: AbortSignal; warn?: (message: string) => void },
) => Promise<EbookPlan>;

/**
 * One model call for the outline (or a generic outline offline). The SDK
 * retries this call itself (it is not a queue job); a permanent error throws.
 */
export function createOutlinePlanner(config: GeneratorConfig): OutlinePlanner {
  const client =
    config.mode === 'openai'
      ? new OpenAI({
          apiKey: config.apiKey,
          baseURL: config.baseURL,
          maxRetries: 2,
          timeout: config.requestTimeout ?? 120_000,
        })
      : undefined;
  return async ({ topic, pages, words }, { signal, warn } = {}) => {
    const fallback = offlineOutline(topic, pages);
    if (!client) return { topic, words, mode: 'offline', ...fallback };
    let text: string;
    try {
      const completion = await client.chat.completions.create(
        { model: config.model, messages: outlineMessages(topic, pages) },
        { signal },
      );
      text = completion.choices[0]?.message?.content ?? '';
    } catch (error) {
      throw classifyOpenAIError(error, { signal });
    }
    const parsed = parseOutline(text, pages);
    if (!parsed)
      warn?.('The model answered with no outline that could be read; using a generic outline.');
    else if (parsed.pages.length < pages)
      warn?.(
        `The model planned ${parsed.pages.length} pages of ${pages}; the rest follow a generic outline.`,
      );
    return {
      topic,
      words,
      mode: 'openai',
      title: parsed?.title || fallback.title,
      pages: [...(parsed?.pages ?? []), ...fallback.pages.slice(parsed?.pages.length ?? 0)],
    };
  };
}

/**
 * `60/min`, `10/s`, `500/h` or `<max>/<ms>` (e.g. `3/1500`): the `limiter`
 * option shared by every pool of the queue.
 */
export function parseRateLimit(text: string): { max: number; duration: number } {
  const match = /^\s*(\d+)\s*\/\s*(?:(\d+)\s*(?:ms)?|(s|sec|m|min|h))\s*$/i.exec(text);
  const units: Record<string, number> = {
    s: 1000,
    sec: 1000,
    m: 60_000,
    min: 60_000,
    h: 3_600_000,
  };
  const max = Number(match?.[1]);
  const duration = match?.[2] ? Number(match[2]) : units[match?.[3]?.toLowerCase() ?? ''];
  if (!match || !(max >= 1) || !duration || duration < 1)
    throw new Error(
      `Expected a rate limit like \`60/min\`, \`10/s\` or \`3/1500\` (ms), got \`${text}\``,
    );
  return { max, duration };
}

/** The budget flags of the runner and the HTTP API, as given (strings), or `undefined`. */
export interface BudgetFlags {
  /** `--rate-limit` / `RATE_LIMIT`: `60/min`, `10/s`, `3/1500`. */
  rateLimit?: string | undefined;
  /** `--rpm`: pages started per minute, across every pool of the queue. */
  rpm?: string | undefined;
  /** `--tpm`: tokens per minute (a `by: 'cost'` window), across every pool of the queue. */
  tpm?: string | undefined;
  /** `--max-workers`: adaptive concurrency, from 1 up to this many pages at once per process. */
  maxWorkers?: string | undefined;
}

/**
 * The pool options the budget flags ask for: `limiter` windows (job starts, and
 * tokens `by: 'cost'`) and adaptive `concurrency: { min: 1, max }`. A flag wins over
 * its environment variable (`RATE_LIMIT_RPM`, `RATE_LIMIT_TPM`, `MAX_WORKERS`,
 * which `optionsFromEnv()` reads into `envOptions`); `--rate-limit` adds a window.
 */
export function budgetOptions(
  flags: BudgetFlags,
  /** What `optionsFromEnv()` returned (or any pool options): its `limiter` is kept unless replaced. */
  envOptions: { limiter?: LimiterWindow | readonly LimiterWindow[] } = {},
): { limiter?: LimiterWindow[]; concurrency?: { min: number; max: number } } {
  const count = (name: string, raw: string | undefined, max: number) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < 1 || n > max)
      throw new Error(`Expected --${name} to be an integer from 1 to ${max}, got \`${raw}\``);
    return n;
  };
  const rpm = count('rpm', flags.rpm, 1_000_000);
  const tpm = count('tpm', flags.tpm, 1_000_000_000);
  const maxWorkers = count('max-workers', flags.maxWorkers, 10_000);
  const fromEnv = envOptions.limiter === undefined ? [] : [envOptions.limiter].flat();
  const windows: LimiterWindow[] = [
    ...(flags.rateLimit ? [parseRateLimit(flags.rateLimit)] : []),
    // --rpm / --tpm replace the environment's windows; without them those stay.
    ...(rpm === undefined && tpm === undefined ? fromEnv : perMinute(rpm, tpm)),
  ];
  return {
    ...(windows.length > 0 ? { limiter: windows } : {}),
    ...(maxWorkers === undefined ? {} : { concurrency: { min: 1, max: maxWorkers } }),
  };
}
