// A pool for the `quota` benchmark, on the built package.
// argv[2]: JSON { url, prefix, queue, concurrency, server }
// Each job calls the mock OpenAI-compatible server at `server`; a 429 whose error
// code is `insufficient_quota` becomes a QuotaExceededError (as the ebook example's
// handler maps it), any other 429 a RateLimitError. Messages to the parent: ready.
import { QuotaExceededError, RateLimitError, WorkerPool } from '../../dist/index.js';
import { config, onStop, send } from '../../test/support/child.mjs';

const { fetch } = globalThis;

async function handler(job, ctx) {
  const response = await fetch(config.server, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: `job ${job.id}` }] }),
    signal: ctx.signal,
  });
  const body = await response.json();
  if (response.status === 429) {
    if (body.error?.code === 'insufficient_quota') throw new QuotaExceededError(body.error.message);
    throw new RateLimitError(1000, body.error?.message ?? '429');
  }
  return body.choices[0].message.content;
}

const pool = new WorkerPool(config.queue, handler, {
  connection: config.url,
  prefix: config.prefix,
  concurrency: config.concurrency,
  logger: false,
  statsInterval: 0,
});
onStop(() => pool.close());
await pool.start();
send({ type: 'ready' });
