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
 * Env: PORT (3000), HOST (127.0.0.1), OPENAI_MODELS (the models a request may pick,
 * comma-separated; default OPENAI_MODEL), plus the runner's (OPENAI_*, REDIS_URL, CONCURRENT_WORKERS...).
 */
import { optionsFromEnv, Queue, WorkerPool } from 'redis-worker-pool';
import { findRedis } from '../lib/local-redis.js';
import { DEFAULT_QUEUE, type EbookJobs } from '../ebook/ebook.js';
import {
  createEbookPageHandler,
  createOutlinePlanner,
  describeGenerator,
  generatorConfigFromEnv,
} from '../ebook/generator.js';
import { OFFLINE_BANNER } from '../ebook/offline-generator.js';
import { createEbookApi } from './ebook-api.js';

const withWorkers = !process.argv.includes('--no-workers');
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
const pool = withWorkers
  ? new WorkerPool<EbookJobs>(
      DEFAULT_QUEUE,
      { page: createEbookPageHandler(generator) },
      { ...envOptions, connection: redis.url },
    )
  : undefined;
await pool?.start();

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
  planOutline: createOutlinePlanner(generator),
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
  await queue.close();
  await redis.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
