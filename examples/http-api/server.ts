/**
 * The ebook HTTP API as a program, with a worker pool in the same process
 * unless `--no-workers` (then run pools with `npm run ebook -- --worker`).
 *
 *   npm run ebook:api                     # http://127.0.0.1:3000 (the web page)
 *   curl -s -X POST localhost:3000/api/ebook -H 'content-type: application/json' \
 *        -d '{"topic": "Honey bees", "pages": 5}'
 *   curl -N localhost:3000/api/ebook/<id>/events
 *   curl -s localhost:3000/api/ebook/<id>
 *
 * Flags: --no-workers; --rpm <n>, --tpm <n>, --max-workers <n> (the pool's budgets, as
 * the runner's); --no-cache (plan every outline and write every page anew); --out <dir>
 * (where this process's pool writes ebooks added by the runner, default ./ebooks).
 * Env: PORT (3000), HOST (127.0.0.1), OPENAI_MODELS (the models a request may pick,
 * comma-separated; default OPENAI_MODEL), plus the runner's (OPENAI_*, REDIS_URL,
 * CONCURRENT_WORKERS, MAX_WORKERS, RATE_LIMIT_RPM, RATE_LIMIT_TPM...).
 */
import { parseArgs } from 'node:util';
import { optionsFromEnv, Queue, WorkerPool } from 'redis-worker-pool';
import { findRedis } from '../lib/local-redis.js';
import { createAssembleHandler } from '../ebook/assemble.js';
import { CACHE_TTL_MS, DEFAULT_QUEUE, type EbookJobs, type EbookPoolJobs } from '../ebook/ebook.js';
import {
  budgetOptions,
  createEbookPageHandler,
  createOutlinePlanner,
  describeGenerator,
  generatorConfigFromEnv,
} from '../ebook/generator.js';
import { OFFLINE_BANNER } from '../ebook/offline-generator.js';
import { startOutlineService } from '../ebook/outline-service.js';
import { createEbookApi } from './ebook-api.js';

const { values: flags } = parseArgs({
  options: {
    'no-workers': { type: 'boolean' },
    'no-cache': { type: 'boolean' },
    rpm: { type: 'string' },
    tpm: { type: 'string' },
    'max-workers': { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});
const withWorkers = !flags['no-workers'];
const cache = flags['no-cache'] ? undefined : { ttl: CACHE_TTL_MS };
const generator = generatorConfigFromEnv();
console.log(
  generator.mode === 'offline'
    ? OFFLINE_BANNER
    : `[API] Pages are written by ${describeGenerator(generator)}.`,
);
const envOptions = optionsFromEnv();
// Without workers here, other processes must reach the same Redis: no temporary one.
const redis = await findRedis({ allowTemporary: withWorkers });
console.log(`[API] Using ${redis.description}; queue \`${DEFAULT_QUEUE}\`.`);

const queue = new Queue<EbookJobs>(DEFAULT_QUEUE, { connection: redis.url });
const budget = budgetOptions(
  { rpm: flags.rpm, tpm: flags.tpm, maxWorkers: flags['max-workers'] },
  envOptions,
);
// Any pool of the queue may finish the last page of an ebook the runner added
// (`assemble: true`): it writes that ebook's files into its own --out.
const pool = withWorkers
  ? new WorkerPool<EbookPoolJobs>(
      DEFAULT_QUEUE,
      {
        page: createEbookPageHandler(generator),
        assemble: createAssembleHandler({
          queue,
          out: flags.out ?? 'ebooks',
          log: (line) => console.log(line),
        }),
      },
      { ...envOptions, ...budget, connection: redis.url },
    )
  : undefined;
await pool?.start();
// Outlines are jobs of their own queue, cached like pages (see outline-service.ts).
const outlines = await startOutlineService({
  queue: DEFAULT_QUEUE,
  connection: redis.url,
  planner: createOutlinePlanner(generator),
  model: generator.mode === 'offline' ? 'offline' : generator.model,
  ...(cache ? { cache } : {}),
});

const models =
  generator.mode === 'offline'
    ? []
    : [
        ...new Set([
          generator.model,
          ...(process.env.OPENAI_MODELS ?? '')
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean),
        ]),
      ];
const server = createEbookApi({
  queue,
  planOutline: outlines.plan,
  ...(cache ? { cache } : {}),
  models,
  mode: generator.mode,
  maxAttempts: envOptions.attempts,
  log: (line) => console.log(line),
});
server.on('error', (error) => {
  console.error(`[API] ${error.message}`);
  process.exit(1);
});
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
server.listen(port, host, () => {
  const base = `http://${host}:${port}`;
  console.log(`[API] Listening on ${base}${withWorkers ? '' : ' (no workers in this process)'}`);
  console.log(`[API] The page: ${base}/`);
  console.log(
    `[API] Try: curl -s -X POST ${base}/api/ebook -H 'content-type: application/json' -d '{"topic": "Honey bees", "pages": 5}'`,
  );
  console.log(
    `[API]      curl -N ${base}/api/ebook/<id>/events   and   curl -s ${base}/api/ebook/<id>`,
  );
});

let closing = false;
async function shutdown(signal: string) {
  if (closing) process.exit(130);
  closing = true;
  console.log(`[API] ${signal}: closing...`);
  // Event streams never end on their own: cut them, then let running pages finish.
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await pool?.close();
  await outlines.close();
  await queue.close();
  await redis.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
