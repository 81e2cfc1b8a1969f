// A producer in its own process for the benchmarks, on the built package.
// argv[2]: JSON { url, prefix, queue, jobs, mode: 'bulk' | 'one-by-one', gapMs, payloadBytes,
//   group: every job in this group, or groups: N to spread the jobs over groups g0..g(N-1) in turn }
import { Queue } from '../../dist/index.js';
import { config, send } from '../../test/support/child.mjs';

const now = () => performance.timeOrigin + performance.now();
const queue = new Queue(config.queue, {
  connection: config.url,
  prefix: config.prefix,
  logger: false,
});

// About `payloadBytes` of JSON, like a page job: a title, an outline, an index.
const filler = 'x'.repeat(Math.max(0, config.payloadBytes - 80));
const data = (i) => ({
  ebookId: '1704123456789-abc123',
  pageIndex: i,
  title: 'Honey bees',
  outline: filler,
});

// A job's group: the one named, or the i-th of `groups` in turn; none by default.
const opts = (i) =>
  config.group
    ? { group: config.group }
    : config.groups
      ? { group: `g${i % config.groups}` }
      : undefined;

await queue.getCounts(); // connected
const started = now();
if (config.mode === 'bulk') {
  const chunk = 10_000;
  for (let i = 0; i < config.jobs; i += chunk) {
    const n = Math.min(chunk, config.jobs - i);
    await queue.addBulk(
      Array.from({ length: n }, (_, k) => ({ name: 'page', data: data(i + k), opts: opts(i + k) })),
    );
  }
} else {
  for (let i = 0; i < config.jobs; i++) {
    await queue.add('page', { ...data(i), sentAt: now() }, opts(i));
    await new Promise((r) => setTimeout(r, config.gapMs));
  }
}
send({
  type: 'added',
  count: config.jobs,
  startedAt: started,
  ms: now() - started,
  bytes: JSON.stringify(data(0)).length,
});
await queue.close();
process.exit(0);
