/**
 * The ebook runner: a topic in, an N-page ebook out, pages written in
 * parallel by a worker pool on Redis.
 *
 *   npm run ebook -- --topic "Honey bees" --pages 20     # all in one process
 *   npm run ebook -- --produce-only --topic "..." --pages 20   # add it, print its id
 *   npm run ebook -- --worker                             # a pool process; run several
 *   npm run ebook -- --assemble <ebookId>                 # wait for it, write the files
 *
 * Without OPENAI_API_KEY it runs offline (placeholder pages) and says so.
 * See docs/ebook-example.md for every option and environment variable.
 */
import { parseArgs } from 'node:util';
import {
  formatStatsLine,
  optionsFromEnv,
  Queue,
  WorkerPool,
  type WorkerPoolOptions,
} from 'redis-worker-pool';
import { findRedis } from '../lib/local-redis.js';
import { createAssembleHandler } from './assemble.js';
import {
  addEbook,
  CACHE_TTL_MS,
  DEFAULT_QUEUE,
  getEbookMeta,
  waitForEbook,
  type AssembleResult,
  type Ebook,
  type EbookJobs,
  type EbookPlan,
  type EbookPoolJobs,
} from './ebook.js';
import {
  budgetOptions,
  createEbookPageHandler,
  createOutlinePlanner,
  describeGenerator,
  generatorConfigFromEnv,
  type BudgetFlags,
  type GeneratorConfig,
} from './generator.js';
import { OFFLINE_BANNER } from './offline-generator.js';
import { startOutlineService } from './outline-service.js';
import { createProgressDisplay, formatEta, type ProgressDisplay } from './progress.js';
import { writeEbookFiles } from './render.js';

const HELP = `Usage: npm run ebook -- [mode] [options]

Modes (default: all in one process: plan, add, generate, write the files)
  --produce-only          plan the ebook and add its pages to the queue, print its id, exit
  --worker                run a worker pool until Ctrl+C / SIGTERM (start as many as you like)
  --assemble <ebookId>    wait for an ebook added elsewhere, then write its files

Options
  --topic <text>          what the ebook is about (required to produce one)
  --pages <n>             number of pages, 1-200 (default 10)
  --words <n>             words per page asked of the model (default 300)
  --out <dir>             where the files go (default ./ebooks)
  --rate-limit <r>        calls shared by every worker of the queue: 60/min, 10/s, 3/1500 (env RATE_LIMIT)
  --rpm <n>               pages started per minute, shared by every worker of the queue (env RATE_LIMIT_RPM)
  --tpm <n>               tokens per minute, shared likewise: each page is charged its estimate
                          (prompt + max tokens) and settled with the API's usage (env RATE_LIMIT_TPM)
  --max-workers <n>       adaptive: write 1 to n pages at once, finding what the API takes (env MAX_WORKERS)
  --no-cache              write every page (and the outline) anew, even if the same was written before
  --queue <name>          queue name (default ${DEFAULT_QUEUE})
  --prefix <prefix>       Redis key prefix (default rwp)
  --verbose               on a terminal, also show every job's log lines
  -h, --help              this text

Environment: OPENAI_API_KEY (none: offline mode), OPENAI_BASE_URL, OPENAI_MODEL (default gpt-4o-mini),
OPENAI_TIMEOUT, OFFLINE_LATENCY_MS, REDIS_URL, CONCURRENT_WORKERS (default 5), PROCESSING_DELAY (500),
GENERATION_TIMEOUT (90000), POLL_INTERVAL, MAX_RETRIES (3), RATE_LIMIT, RATE_LIMIT_RPM, RATE_LIMIT_TPM,
MAX_WORKERS.`;

type Mode = 'all' | 'produce' | 'worker' | 'assemble';

interface Args {
  mode: Mode;
  topic: string;
  pages: number;
  words: number;
  out: string;
  queue: string;
  prefix?: string;
  budget: BudgetFlags;
  /** Reuse the outline and pages written before for the same topic, prompt and model. */
  cache: boolean;
  ebookId?: string;
  verbose: boolean;
}

class UsageError extends Error {}

function readArgs(argv: string[]): Args | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      topic: { type: 'string' },
      pages: { type: 'string' },
      words: { type: 'string' },
      out: { type: 'string' },
      queue: { type: 'string' },
      prefix: { type: 'string' },
      'rate-limit': { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'max-workers': { type: 'string' },
      'no-cache': { type: 'boolean' },
      'produce-only': { type: 'boolean' },
      worker: { type: 'boolean' },
      assemble: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const modes = [
    values['produce-only'] && 'produce',
    values.worker && 'worker',
    values.assemble !== undefined && 'assemble',
  ].filter(Boolean) as Mode[];
  if (modes.length > 1)
    throw new UsageError('Choose one of --produce-only, --worker and --assemble.');
  const mode = modes[0] ?? 'all';
  const int = (
    name: string,
    raw: string | undefined,
    fallback: number,
    min: number,
    max: number,
  ) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < min || n > max)
      throw new UsageError(
        `Expected --${name} to be an integer from ${min} to ${max}, got \`${raw}\`.`,
      );
    return n;
  };
  const topic = values.topic?.trim() ?? '';
  if ((mode === 'all' || mode === 'produce') && !topic)
    throw new UsageError('Say what the ebook is about: --topic "Honey bees".');
  if (topic.length > 200) throw new UsageError('Keep --topic under 200 characters.');
  if (mode === 'assemble' && !values.assemble?.trim())
    throw new UsageError('--assemble needs an ebook id.');
  const budget: BudgetFlags = {
    rateLimit: values['rate-limit'] ?? process.env.RATE_LIMIT,
    rpm: values.rpm,
    tpm: values.tpm,
    maxWorkers: values['max-workers'],
  };
  try {
    budgetOptions(budget);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    mode,
    topic,
    pages: int('pages', values.pages, 10, 1, 200),
    words: int('words', values.words, 300, 20, 5000),
    out: values.out ?? 'ebooks',
    queue: values.queue ?? DEFAULT_QUEUE,
    ...(values.prefix ? { prefix: values.prefix } : {}),
    budget,
    cache: !values['no-cache'],
    ...(values.assemble ? { ebookId: values.assemble.trim() } : {}),
    verbose: values.verbose ?? false,
  };
}

/** Things to close on the way out, last opened first. */
const closers: (() => Promise<unknown>)[] = [];
async function closeAll(): Promise<void> {
  while (closers.length > 0)
    await closers
      .pop()?.()
      .catch(() => {});
}

let display: ProgressDisplay | undefined;
/** What a signal handler needs to know to close and say what is left. */
const state: {
  mode?: Mode;
  queue?: Queue<EbookJobs>;
  pool?: WorkerPool<EbookPoolJobs>;
  ebookId?: string;
  temporaryRedis?: boolean;
} = {};
const log = (line: string) => (display ? display.log(line) : console.log(line));

async function main(): Promise<number> {
  let args: Args | undefined;
  try {
    args = readArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (!args) {
    console.log(HELP);
    return 0;
  }
  state.mode = args.mode;
  const generator = generatorConfigFromEnv();
  // The first line says loudly whether a model writes this ebook.
  if (args.mode !== 'assemble') {
    if (generator.mode === 'offline') console.log(OFFLINE_BANNER);
    else console.log(`[Ebook] Pages are written by ${describeGenerator(generator)}.`);
  }
  const envOptions = optionsFromEnv();
  const redis = await findRedis({ allowTemporary: args.mode === 'all' });
  closers.push(() => redis.stop());
  state.temporaryRedis = redis.temporary;
  log(`[Ebook] Using ${redis.description}; queue \`${args.queue}\`.`);
  const connection = { connection: redis.url, ...(args.prefix ? { prefix: args.prefix } : {}) };

  const queue = new Queue<EbookJobs>(args.queue, connection);
  closers.push(() => queue.close());
  state.queue = queue;

  switch (args.mode) {
    case 'worker':
      return runWorker(args, generator, queue, { ...envOptions, ...connection });
    case 'produce': {
      const meta = await produce(args, generator, queue, redis.url);
      log(`[Ebook] Start workers with \`npm run ebook -- --worker\` (REDIS_URL=${redis.url}):`);
      log(`[Ebook] the one that finishes the last page writes the files into its own --out,`);
      log(`[Ebook] or write them here with \`npm run ebook -- --assemble ${meta.id}\`.`);
      console.log(meta.id);
      return 0;
    }
    case 'assemble':
      return assemble(args, queue, args.ebookId ?? '');
    case 'all': {
      const progress = createProgressDisplay();
      const pool = startPool(args, generator, queue, {
        ...envOptions,
        ...connection,
        statsInterval: 0,
        logger: progress.logger(args.verbose),
      });
      await pool.start();
      const meta = await produce(args, generator, queue, redis.url);
      display = progress;
      const code = await collect(args, queue, meta.id, pool);
      return code;
    }
  }
}

/**
 * A pool of the ebook queue: it writes pages, and assembles the ebooks whose last page
 * it finishes (the batch's `then` job) into its own `--out`.
 */
function startPool(
  args: Args,
  generator: GeneratorConfig,
  queue: Queue<EbookJobs>,
  options: WorkerPoolOptions<EbookPoolJobs>,
): WorkerPool<EbookPoolJobs> {
  const pool = new WorkerPool<EbookPoolJobs>(
    args.queue,
    {
      page: createEbookPageHandler(generator),
      assemble: createAssembleHandler({ queue, out: args.out, log }),
    },
    { ...options, ...budgetOptions(args.budget, options) },
  );
  closers.push(() => pool.close());
  state.pool = pool;
  pool.on('rateLimited', ({ retryAfter }) =>
    log(
      `[Ebook] The model API asked to slow down: every worker of the queue waits ${formatEta(retryAfter)}.`,
    ),
  );
  pool.on('quotaExceeded', ({ error }) =>
    log(
      `[Ebook] The model API says the account is out of credit (${error.message}): the queue ` +
        `is paused, no page is lost. Add credit, then resume it: ` +
        `\`npx worker-pool resume --queue ${args.queue}${args.prefix ? ` --prefix ${args.prefix}` : ''}\`.`,
    ),
  );
  pool.on('concurrency', ({ from, to, reason }) => {
    if (args.verbose) log(`[Ebook] Pages at once: ${from} -> ${to} (${reason}).`);
  });
  return pool;
}

async function produce(
  args: Args,
  generator: GeneratorConfig,
  queue: Queue<EbookJobs>,
  redisUrl: string,
) {
  log(`[Ebook] Planning ${args.pages} pages on "${args.topic}"...`);
  const model = generator.mode === 'offline' ? 'offline' : generator.model;
  const cache = args.cache ? { ttl: CACHE_TTL_MS } : undefined;
  const outlines = await startOutlineService({
    queue: args.queue,
    connection: redisUrl,
    ...(args.prefix ? { prefix: args.prefix } : {}),
    planner: createOutlinePlanner(generator),
    model,
    ...(cache ? { cache } : {}),
  });
  closers.push(() => outlines.close());
  let plan: EbookPlan;
  try {
    plan = await outlines.plan(
      { topic: args.topic, pages: args.pages, words: args.words },
      { warn: (m) => log(`[Ebook] ${m}`) },
    );
  } finally {
    await outlines.close();
  }
  // Assembly is the batch's `then` job: the files appear even if this process is gone.
  const meta = await addEbook(queue, plan, {
    assemble: true,
    model,
    ...(cache ? { cache } : {}),
  });
  state.ebookId = meta.id;
  log(
    `[Ebook] Added ebook ${meta.id}: "${meta.title}", ${meta.pages.length} pages` +
      (meta.cachedPages > 0
        ? `, ${meta.cachedPages} of them already written (cached; --no-cache writes them anew).`
        : '.'),
  );
  return meta;
}

async function runWorker(
  args: Args,
  generator: GeneratorConfig,
  queue: Queue<EbookJobs>,
  options: WorkerPoolOptions<EbookPoolJobs>,
): Promise<number> {
  if (generator.mode === 'offline')
    log(
      '[Ebook] This worker has no OPENAI_API_KEY: it writes offline ebooks only, and fails pages that need a model.',
    );
  const pool = startPool(args, generator, queue, { statsInterval: 30_000, ...options });
  await pool.start();
  log('[Ebook] Worker running. Ctrl+C (or SIGTERM) closes it gracefully.');
  // Runs until a signal: shutdown() closes the pool and exits.
  await new Promise(() => {});
  return 0;
}

async function assemble(args: Args, queue: Queue<EbookJobs>, id: string): Promise<number> {
  if (!(await getEbookMeta(queue, id))) {
    console.error(
      `No ebook ${id} on queue \`${args.queue}\`${args.prefix ? ` (prefix ${args.prefix})` : ''}: wrong id, Redis or queue, or it expired.`,
    );
    return 1;
  }
  if ((await queue.getPools()).length === 0)
    log(
      '[Ebook] No worker is running on this queue yet: start one with `npm run ebook -- --worker`.',
    );
  state.ebookId = id;
  display = createProgressDisplay();
  return collect(args, queue, id);
}

async function collect(
  args: Args,
  queue: Queue<EbookJobs>,
  id: string,
  pool?: WorkerPool<EbookPoolJobs>,
) {
  const progress = display ?? createProgressDisplay();
  log(`[Ebook] Waiting for ebook ${id}...`);
  let ebook: Ebook;
  try {
    ebook = await waitForEbook(queue, id, {
      onProgress: (p) => progress.update(p),
      onItemProgress: ({ index, progress: page }) => progress.writing(index, page),
    });
  } finally {
    progress.stop();
    display = undefined;
  }
  // Ctrl+C cancelled it (which finished the batch): the user wants no files.
  if (signals > 0) return 130;
  // --assemble writes the files here; the all-in-one runner's come from the batch's `then` job.
  const files = pool
    ? await assembled(queue, ebook, args.out)
    : await writeEbookFiles(ebook, args.out);
  const p = ebook.progress;
  const seconds = ((p.finishedAt ?? Date.now()) - p.createdAt) / 1000;
  const tokens = ebook.pages.reduce(
    (n, page) => n + (page.state === 'completed' ? page.result.usage.totalTokens : 0),
    0,
  );
  log(
    `[Ebook] "${ebook.meta.title}": ${p.completed} of ${p.total} pages in ${seconds.toFixed(1)}s ` +
      `(${((p.completed * 60) / Math.max(seconds, 0.001)).toFixed(1)} pages/min)` +
      (tokens ? `, ${tokens} tokens` : '') +
      (p.failed ? `; ${p.failed} failed` : ''),
  );
  for (const page of ebook.pages)
    if (page.state === 'failed') log(`[Ebook] Page ${page.index + 1} failed: ${page.error}`);
  log(`[Ebook] Markdown: ${files.markdown}`);
  log(`[Ebook] HTML:     ${files.html}`);
  if (pool) log(formatStatsLine(pool.stats()));
  if (ebook.meta.mode === 'offline') log(OFFLINE_BANNER);
  return p.failed > 0 ? 1 : 0;
}

/**
 * The files the batch's `then` job wrote (by this process's pool, or by any other pool
 * of the queue, into its own `--out`); for an ebook added without one, written here.
 */
async function assembled(
  queue: Queue<EbookJobs>,
  ebook: Ebook,
  out: string,
): Promise<{ markdown: string; html: string }> {
  const thenJobId = (await queue.getBatch(ebook.meta.id))?.thenJobId;
  if (!thenJobId) return writeEbookFiles(ebook, out);
  // The queue is typed for pages; the `then` job is an `assemble`.
  const result = (await queue.waitForResult(thenJobId, {
    timeout: 120_000,
  })) as unknown as AssembleResult;
  if (result.state !== 'written') throw new Error(`Ebook ${ebook.meta.id} was cancelled`);
  return result;
}

let signals = 0;
/**
 * Ctrl+C in the all-in-one runner cancels the ebook it added (its pages are this
 * run's, no one else waits for them): queued pages never run, pages being written
 * stop (their requests are aborted), so nothing more is paid for. Then, as on
 * SIGTERM and in the other modes, the pool closes gracefully (running pages get
 * their grace period, the rest go back to the queue).
 */
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (++signals > 1) process.exit(130); // a second Ctrl+C: leave now
  display?.stop();
  display = undefined;
  const pool = state.pool;
  const cancelling = signal === 'SIGINT' && state.mode === 'all' && state.ebookId && state.queue;
  if (cancelling) {
    console.log(`\n[Ebook] ${signal}: cancelling ebook ${state.ebookId}...`);
    const cancelled = await state.queue!.cancelBatch(state.ebookId!, {
      reason: 'cancelled with Ctrl+C',
    });
    console.log(
      `[Ebook] Cancelled ebook ${state.ebookId}: ${cancelled} unfinished pages will not be written.`,
    );
  } else {
    console.log(`\n[Ebook] ${signal}: closing gracefully...`);
  }
  await closeAll();
  if (pool) console.log(formatStatsLine(pool.stats()));
  if (state.mode === 'worker') process.exit(0); // the normal way to stop a worker
  if (!cancelling && state.ebookId && !state.temporaryRedis)
    console.log(
      `[Ebook] Ebook ${state.ebookId} stays in Redis: finish it with \`npm run ebook -- --worker\` ` +
        `and \`npm run ebook -- --assemble ${state.ebookId}\`, or cancel it with ` +
        `\`npx worker-pool cancel --queue ${state.queue?.name ?? DEFAULT_QUEUE} --batch ${state.ebookId}\`.`,
    );
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', () => void shutdown('SIGINT').catch(() => process.exit(1)));
process.on('SIGTERM', () => void shutdown('SIGTERM').catch(() => process.exit(1)));

main().then(
  async (code) => {
    if (signals > 0) return; // shutdown() closes and exits
    await closeAll();
    process.exit(code);
  },
  async (error: unknown) => {
    if (signals > 0) return; // the wait was cut short by our own close
    display?.stop();
    console.error(`[Ebook] ${error instanceof Error ? error.message : String(error)}`);
    await closeAll();
    process.exit(1);
  },
);
