// A pool with a token budget for the `token-budget` benchmark, on the built package.
// argv[2]: JSON { url, prefix, queue, concurrency, limiter, server }
// Each job calls the mock OpenAI-compatible server at `server` (its data carries the
// real token count the server will answer with) and settles its estimate with the
// `usage` the server reports. Messages to the parent: ready.
import { WorkerPool } from '../../dist/index.js';
import { config, onStop, send } from '../../test/support/child.mjs';

// Node's own fetch (global since Node 18).
const { fetch } = globalThis;

async function handler(job, ctx) {
  const response = await fetch(config.server, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'mock',
      messages: [{ role: 'user', content: `job ${job.id}` }],
      real: job.data.real,
    }),
    signal: ctx.signal,
  });
  const body = await response.json();
  ctx.reportCost(body.usage.total_tokens);
  return null;
}

const pool = new WorkerPool(config.queue, handler, {
  connection: config.url,
  prefix: config.prefix,
  concurrency: config.concurrency,
  limiter: config.limiter,
  logger: false,
  statsInterval: 0,
});
onStop(() => pool.close());
await pool.start();
send({ type: 'ready' });
