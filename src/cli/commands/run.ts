import {
  optionsFromEnv,
  perMinute,
  Queue,
  WorkerPool,
  type LimiterWindow,
  type WorkerPoolOptions,
} from 'redis-worker-pool';
import type { WorkerPoolMetrics } from 'redis-worker-pool/metrics';
import { integerFlag, parseRateLimit, stringFlag, type ParsedArgs } from '../args.js';
import { CliError, EXIT_OK, UsageError } from '../cli-error.js';
import { DEFAULT_QUEUE, HELP_FLAG, QUEUE_FLAGS, type Command } from '../command.js';
import { formatDuration } from '../format.js';
import { loadHandlers } from '../handler-module.js';
import type { Io } from '../io.js';
import { startMetricsServer, type MetricsServer } from '../metrics-server.js';
import { optionError } from '../option-errors.js';
import { redisHint, redisTarget } from '../redis-target.js';

const flags = {
  handler: {
    type: 'string',
    value: '<path>',
    description:
      'The module that exports the handlers, one function per job name (ESM or CommonJS; default or named exports). Required.',
  },
  concurrency: {
    type: 'string',
    short: 'c',
    value: '<n>',
    description: 'Jobs run at the same time by this process. Env: CONCURRENT_WORKERS.',
    default: '5',
  },
  'max-workers': {
    type: 'string',
    value: '<n>',
    description:
      'Adaptive concurrency, in place of --concurrency: start at 1 job at a time and find how many the API takes, up to <n>; cut on 429s, timeouts and slowing answers. Env: MAX_WORKERS.',
  },
  timeout: {
    type: 'string',
    value: '<ms>',
    description:
      'Milliseconds one attempt may run before its signal is aborted. Env: GENERATION_TIMEOUT.',
    default: '90000',
  },
  'processing-delay': {
    type: 'string',
    value: '<ms>',
    description: 'Rest of each worker between two jobs. Env: PROCESSING_DELAY.',
    default: '500',
  },
  'poll-interval': {
    type: 'string',
    value: '<ms>',
    description:
      'Longest single wait for work (an idle pool is woken at once by new jobs). Env: POLL_INTERVAL.',
    default: '1000',
  },
  'max-retries': {
    type: 'string',
    value: '<n>',
    description:
      'Retries after the first attempt, for jobs that set no `attempts`. Env: MAX_RETRIES.',
    default: '3',
  },
  'rate-limit': {
    type: 'string',
    value: '<max>/<duration>',
    description:
      'At most <max> jobs start per <duration> (ms, or with s or m: 60s) across every pool of the queue, e.g. 50/60s. Give every pool of the queue the same limit.',
  },
  rpm: {
    type: 'string',
    value: '<n>',
    description:
      'At most <n> jobs start per minute across every pool of the queue (with --rate-limit, both apply). Env: RATE_LIMIT_RPM.',
  },
  tpm: {
    type: 'string',
    value: '<n>',
    description:
      "At most <n> cost units (tokens: each job's `cost`, settled by ctx.reportCost) per minute across every pool of the queue. Env: RATE_LIMIT_TPM.",
  },
  'lease-duration': {
    type: 'string',
    value: '<ms>',
    description:
      "How long a crashed process's jobs stay claimed before another pool takes them over.",
    default: '30000',
  },
  'grace-period': {
    type: 'string',
    value: '<ms>',
    description:
      'On SIGINT/SIGTERM, how long running jobs get to finish before they are handed back to the queue. Keep it below the kill timeout of your platform.',
    default: '10000',
  },
  'max-rate-limit-hold': {
    type: 'string',
    value: '<ms>',
    description:
      "Longest hold a handler's RateLimitError puts on the queue (a longer retry-after is cut to it). Env: MAX_RATE_LIMIT_HOLD.",
    default: '300000',
  },
  'stats-interval': {
    type: 'string',
    value: '<ms>',
    description: 'Milliseconds between [Stats] lines; 0 for none.',
    default: '60000',
  },
  'metrics-port': {
    type: 'string',
    value: '<port>',
    description:
      'Serve Prometheus metrics on /metrics and a health check on /healthz on this port (needs prom-client installed). 0 picks a free port.',
  },
  'metrics-host': {
    type: 'string',
    value: '<host>',
    description:
      'Address the metrics server listens on: loopback only by default; 0.0.0.0 (or ::) for every interface, e.g. in a container scraped from outside.',
    default: '127.0.0.1',
  },
  ...QUEUE_FLAGS,
  ...HELP_FLAG,
} as const;

export const runCommand: Command = {
  name: 'run',
  summary: 'Start a worker pool that runs the jobs of a queue with your handlers.',
  usage: 'worker-pool run --handler <path> [options]',
  description:
    'Start a pool of workers on a queue, configured by the environment variables of the original\n' +
    'deployment (CONCURRENT_WORKERS or MAX_WORKERS, PROCESSING_DELAY, GENERATION_TIMEOUT,\n' +
    'POLL_INTERVAL, MAX_RETRIES, REDIS_URL or REDIS_PUBLIC_URL) and by flags, which win over them. It logs\n' +
    'each job, a [Stats] line every minute, and runs until SIGINT (Ctrl+C) or SIGTERM: then it\n' +
    'stops claiming, lets running jobs finish for --grace-period, hands the rest back to the\n' +
    'queue without spending an attempt, and exits with 0. A second signal exits at once (the\n' +
    'jobs still running are taken over by another pool when their lease ends). Run as many\n' +
    'processes as you like on one queue, on as many machines.\n\n' +
    'The handler module, e.g. handlers.mjs:\n\n' +
    '  export async function page(job, { signal, attempt }) {\n' +
    '    const response = await fetch(URL, { method: "POST", body: JSON.stringify(job.data), signal });\n' +
    '    if (!response.ok) throw new Error(`HTTP ${response.status}`); // retried with backoff\n' +
    '    return { text: await response.text() };                     // stored as the result\n' +
    '  }',
  flags,
  examples: [
    'worker-pool run --handler ./handlers.js',
    'CONCURRENT_WORKERS=3 worker-pool run --handler ./dist/handlers.js --queue pages',
    'worker-pool run --handler ./handlers.cjs --concurrency 10 --rate-limit 50/60s --metrics-port 9464',
    'worker-pool run --handler ./handlers.js --max-workers 32',
  ],
  run: (args, io) => runPool(args, io),
};

async function runPool(args: ParsedArgs, io: Io): Promise<number> {
  const handlerPath = stringFlag(args, 'handler');
  if (handlerPath === undefined) {
    throw new UsageError(
      'Which handlers? Pass --handler <path> (a module exporting one function per job name)',
      'Run `worker-pool run --help` for an example.',
    );
  }
  const target = redisTarget(stringFlag(args, 'redis-url'), io.env);
  const name = stringFlag(args, 'queue') ?? DEFAULT_QUEUE;
  const options = poolOptions(args, io);
  const metricsPort = integerFlag(args, 'metrics-port', { min: 0, max: 65_535 });
  const metricsHost = stringFlag(args, 'metrics-host') ?? '127.0.0.1';

  const { handlers, names } = await loadHandlers(handlerPath, io.cwd);
  const metrics = metricsPort === undefined ? undefined : await loadMetrics();
  let pool: WorkerPool;
  try {
    pool = new WorkerPool(name, handlers, { ...options, connection: target.url });
  } catch (error) {
    throw optionError(error);
  }
  const detach = metrics?.observePool(pool);
  let queue: Queue | undefined;
  let server: MetricsServer | undefined;
  if (metrics) {
    server = await startMetricsServer({
      port: metricsPort!,
      host: metricsHost,
      metrics: async () => ({
        body: await metrics.registry.metrics(),
        contentType: metrics.registry.contentType,
      }),
      health: async () => {
        const redis = queue ? await ping(queue) : 'not connected yet';
        return {
          ok: pool.state === 'running' && redis === 'ok',
          checks: { pool: pool.state, redis },
        };
      },
    });
  }

  // Installed before start(), so a signal while connecting still closes cleanly.
  const stopped = new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        io.err(
          `[Worker Pool] ${signal} again: exiting now. Jobs still running will be taken over by another pool when their lease ends.`,
        );
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      const grace = formatDuration(options.gracePeriod ?? 10_000);
      io.out(
        `[Worker Pool] ${signal} received: stopping. Running jobs get up to ${grace} to finish, the rest go back to the queue. Send it again to exit at once.`,
      );
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  const shutdown = async () => {
    await pool.close();
    detach?.();
    await server?.close();
    await queue?.close();
  };

  io.out(
    `[Worker Pool] Handlers from ${handlerPath}: ${names[0] === '*' ? 'one function for every job name' : names.join(', ')}`,
  );
  try {
    await Promise.race([pool.start(), stopped]);
  } catch (error) {
    await shutdown();
    const e = error as Error & { code?: string };
    if (e.code === 'ERR_REDIS_UNAVAILABLE')
      throw new CliError(e.message, { hint: redisHint(target) });
    throw error;
  }
  if (pool.state === 'running') {
    if (metrics) {
      queue = new Queue(name, { connection: target.url, prefix: options.prefix, logger: false });
      metrics.observeQueue(queue);
      io.out(
        `[Worker Pool] Metrics on http://${metricsHost}:${server!.port}/metrics, health on /healthz`,
      );
    }
    io.out('[Worker Pool] Press Ctrl+C to stop.');
  }
  await stopped;
  await shutdown();
  return EXIT_OK;
}

/** Environment variables first, then the flags that override them. */
function poolOptions(args: ParsedArgs, io: Io): WorkerPoolOptions {
  let env: ReturnType<typeof optionsFromEnv>;
  try {
    // The Redis URL is resolved on its own (--redis-url wins), so a bad REDIS_URL is not fatal when the flag is given.
    env = optionsFromEnv({ ...io.env, REDIS_URL: undefined, REDIS_PUBLIC_URL: undefined });
  } catch (error) {
    throw optionError(error);
  }
  const options: WorkerPoolOptions = {
    concurrency: env.concurrency,
    processingDelay: env.processingDelay,
    timeout: env.timeout,
    pollInterval: env.pollInterval,
    attempts: env.attempts,
  };
  if (env.maxRateLimitHold !== undefined) options.maxRateLimitHold = env.maxRateLimitHold;
  const set = (flag: string, option: keyof WorkerPoolOptions, map = (n: number) => n) => {
    const value = integerFlag(args, flag);
    if (value !== undefined) (options as Record<string, unknown>)[option] = map(value);
  };
  set('concurrency', 'concurrency');
  const maxWorkers = integerFlag(args, 'max-workers', { min: 1, max: 10_000 });
  if (maxWorkers !== undefined) {
    if (integerFlag(args, 'concurrency') !== undefined) {
      throw new UsageError(
        'Pass either --concurrency (a fixed number of workers) or --max-workers (adaptive), not both',
      );
    }
    options.concurrency = { min: 1, max: maxWorkers };
  }
  set('timeout', 'timeout');
  set('processing-delay', 'processingDelay');
  set('poll-interval', 'pollInterval');
  set('lease-duration', 'leaseDuration');
  set('grace-period', 'gracePeriod');
  set('stats-interval', 'statsInterval');
  set('max-rate-limit-hold', 'maxRateLimitHold');
  const retries = integerFlag(args, 'max-retries', { min: 0, max: 999_999 });
  if (retries !== undefined) options.attempts = retries + 1;
  const windows: LimiterWindow[] = [];
  const limit = stringFlag(args, 'rate-limit');
  if (limit !== undefined) windows.push(parseRateLimit(limit));
  // Each flag overrides its environment variable.
  const rpm =
    integerFlag(args, 'rpm', { min: 1, max: 1_000_000 }) ??
    env.limiter?.find((w) => w.by !== 'cost')?.max;
  const tpm =
    integerFlag(args, 'tpm', { min: 1, max: 1e15 }) ??
    env.limiter?.find((w) => w.by === 'cost')?.max;
  windows.push(...perMinute(rpm, tpm));
  if (windows.length > 0) options.limiter = windows.length === 1 ? windows[0]! : windows;
  const prefix = stringFlag(args, 'prefix');
  if (prefix !== undefined) options.prefix = prefix;
  return options;
}

async function loadMetrics(): Promise<WorkerPoolMetrics> {
  try {
    const { WorkerPoolMetrics } = await import('redis-worker-pool/metrics');
    return new WorkerPoolMetrics();
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === 'ERR_MODULE_NOT_FOUND' && /prom-client/.test(e.message)) {
      throw new CliError('--metrics-port needs prom-client, which is not installed', {
        hint: 'Install it next to redis-worker-pool: npm install prom-client',
      });
    }
    throw error;
  }
}

/** `ok` when Redis answers PING within a second, else why not. */
async function ping(queue: Queue): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      queue.client.ping().then(() => 'ok'),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('no answer within 1000 ms'), 1000);
      }),
    ]);
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
