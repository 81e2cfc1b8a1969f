import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NO_LIMITER, resolveLimiter } from '../../src/limiter.js';
import { RateLimitError } from '../../src/index.js';
import { queueKeys } from '../../src/redis/keys.js';
import type { JobToAdd } from '../../src/redis/protocol/add.js';
import type { MoveRequest } from '../../src/redis/protocol/move.js';
import { Scripts } from '../../src/redis/scripts.js';
import { useHarness } from '../support/harness.js';
import { rawClient, uniquePrefix, until } from '../support/redis.js';

/**
 * Every key a script can know before it runs must reach it in KEYS (Redis
 * Cluster checks declared keys before a script runs, so a slot being migrated
 * answers ASK/TRYAGAIN instead of a half-run; Dragonfly and some proxies
 * refuse undeclared keys). Here every script the library defines is run with a
 * prelude that wraps `redis.call` and `redis.pcall`: each key a command
 * touches that is not in KEYS is recorded, with the script's name, in a set
 * the test reads. Keys a script can only discover as it runs (the hashes of the
 * jobs it claims and what they lead to) may be undeclared; nothing else.
 */
const RECORD = 'rwp-test-undeclared';

// Commands whose every argument is a key, whose first two are, or that take none.
const PRELUDE = (script: string) => `
local __redis = redis
local __declared = {}
for _, k in ipairs(KEYS) do __declared[k] = true end
local __all = { DEL = true, EXISTS = true, UNLINK = true, MGET = true }
local __two = { LMOVE = true, RPOPLPUSH = true, SMOVE = true }
local __none = { TIME = true, PUBLISH = true }
local function __check(cmd, ...)
  local c = string.upper(cmd)
  if __none[c] then return end
  local args = { ... }
  local keys = { args[1] }
  if __all[c] then keys = args elseif __two[c] then keys = { args[1], args[2] } end
  for _, k in ipairs(keys) do
    if not __declared[k] then __redis.call('SADD', '${RECORD}', '${script} ' .. c .. ' ' .. k) end
  end
end
local redis = setmetatable({
  call = function(cmd, ...) __check(cmd, ...) return __redis.call(cmd, ...) end,
  pcall = function(cmd, ...) __check(cmd, ...) return __redis.pcall(cmd, ...) end,
}, { __index = __redis })
`;

type Define = (name: string, definition: { lua: string; numberOfKeys?: number }) => void;
const original = Redis.prototype.defineCommand as unknown as Define;

beforeAll(() => {
  (Redis.prototype as unknown as { defineCommand: Define }).defineCommand = function (
    this: Redis,
    name,
    definition,
  ) {
    // `rwp_<script>_<hash>`: the script's name tags what it touched.
    const script = name.split('_')[1] ?? name;
    original.call(this, name, { ...definition, lua: PRELUDE(script) + definition.lua });
  };
});
afterAll(() => {
  (Redis.prototype as unknown as { defineCommand: Define }).defineCommand = original;
});

/** What the scripts touched without declaring it since the last call, as `script COMMAND key`. */
async function undeclared(client: Redis, prefix: string): Promise<string[]> {
  const all = await client.smembers(RECORD);
  const mine = all.filter((entry) => entry.includes(`${prefix}:`));
  if (mine.length > 0) await client.srem(RECORD, ...mine);
  return mine.sort();
}

/** The part of a key after the queue's `{name}:`: `job:7`, `gh:user-1`, `data`. */
const suffix = (entry: string) => entry.slice(entry.indexOf('}:') + 2);

/** Keys a script may discover as it runs: job hashes and what a job's hash names. */
const DISCOVERABLE = /^(job|batch|gh|gw|gl|gc|cache):|^(completed|failed):-?\d+:-?\d+$/;

describe('scripts declare the keys they can know before they run', () => {
  const clients: Redis[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  });
  const h = useHarness('declared');

  const job = (overrides: Partial<JobToAdd> = {}): JobToAdd => ({
    id: undefined,
    name: 'page',
    data: '{}',
    runOptions: '',
    maxAttempts: undefined,
    keepCompleted: '2:-1',
    keepFailed: '-1:-1',
    delay: 0,
    batchIndex: undefined,
    ...overrides,
  });
  const move = (overrides: Partial<MoveRequest>): MoveRequest => ({
    leaseDuration: 30_000,
    claim: 0,
    tokenPrefix: `pool.${Math.random()}`,
    reclaim: false,
    defaultAttempts: 1,
    limiter: NO_LIMITER,
    reports: [],
    ...overrides,
  });

  it('adds with job ids, a batch, groups, costs and caches, and reports their outcomes, touching declared keys only', async () => {
    const client = rawClient();
    clients.push(client);
    const prefix = uniquePrefix('declared');
    const keys = queueKeys(prefix, 'q');
    const scripts = new Scripts(client, keys);
    const limiter = resolveLimiter([{ max: 1000, duration: 60_000, by: 'cost' }]);
    // Each group's own windows too: charged at claim (discovered), settled by a report (declared).
    const group = {
      concurrency: 0,
      limiter: resolveLimiter(
        [
          { max: 1000, duration: 30_000, by: 'cost' },
          { max: 1000, duration: 30_000 },
        ],
        'group.limiter',
      ),
    };
    await scripts.add({ id: 'b1', total: 2, ttl: 60, meta: '', first: true }, [
      job({ id: 'a', batchIndex: 0, group: 'user-1', cost: 5 }),
      job({ id: 'b', batchIndex: 1, cache: { key: 'page:1', ttl: 60_000 } }),
    ]);
    await scripts.add(undefined, [job({ id: 'c', group: 'user-2', keepFailed: '3:-1' })]);
    expect(await undeclared(client, prefix)).toEqual([]);

    // The claim discovers the claimed jobs' hashes (and their groups'): that much is allowed.
    const claimed = await scripts.move(move({ claim: 3, limiter, group }));
    expect(claimed.claimed).toHaveLength(3);
    for (const entry of await undeclared(client, prefix)) {
      expect(suffix(entry.split(' ')[2]!), entry).toMatch(DISCOVERABLE);
    }

    // Reporting them (completed, failed with its own retention, retried, rate limited
    // for the group) touches only keys the reports named.
    const byId = new Map(claimed.claimed.map((c) => [c.job.id, c]));
    const report = (id: string, kind: 'completed' | 'failed', keep: string) => {
      const c = byId.get(id)!;
      return {
        id,
        token: c.token,
        kind,
        payload: kind === 'completed' ? '"done"' : '{"message":"no"}',
        attempt: 1,
        startedAt: Date.now(),
        delay: 0,
        keep,
        batchId: c.job.batchId,
        batchIndex: c.job.batchIndex,
        group: c.job.group,
        ...(id === 'b' ? { cached: true as const, cacheKey: 'page:1' } : {}),
        ...(id === 'a' ? { cost: 7 } : {}),
      };
    };
    const reply = await scripts.move(
      move({
        limiter,
        group,
        reports: [
          report('a', 'completed', '2:-1'),
          report('b', 'completed', '2:-1'),
          report('c', 'failed', '3:-1'),
        ],
      }),
    );
    expect(reply.statuses).toEqual(['ok', 'ok', 'ok']);
    expect(await undeclared(client, prefix)).toEqual([]);

    // A lease that ran out: the reclaim finds the job (and its batch and group) as it runs.
    await scripts.add({ id: 'b2', total: 1, ttl: 60, meta: '', first: true }, [
      job({ id: 'd', batchIndex: 0, group: 'user-3' }),
    ]);
    await scripts.move(move({ claim: 1, leaseDuration: 1 }));
    await new Promise((r) => setTimeout(r, 20));
    const reclaimed = await scripts.move(move({ reclaim: true, defaultAttempts: 1 }));
    expect(reclaimed.stalled.map((j) => j.id)).toEqual(['d']);
    for (const entry of await undeclared(client, prefix)) {
      expect(suffix(entry.split(' ')[2]!), entry).toMatch(DISCOVERABLE);
    }
  });

  it('leaves nothing but job hashes and what they name undeclared, through a whole workload', async () => {
    const client = rawClient();
    clients.push(client);
    type Jobs = { page: { data: string; result: string } };
    let attempts = 0;
    let release = () => {};
    const queue = h.queue<Jobs>('w');
    const pool = h.pool<Jobs>(
      {
        async page(job, { signal, progress }) {
          if (job.data === 'hang') {
            await progress({ step: 1 });
            await new Promise<void>((resolve) => {
              release = resolve;
              signal.addEventListener('abort', () => resolve());
            });
          }
          if (job.data === 'flaky' && attempts++ === 0) throw new Error('once');
          if (job.data === 'limited' && attempts++ < 3) {
            throw new RateLimitError(10, undefined, { scope: 'group' });
          }
          if (job.data === 'fail') throw new Error('always');
          return job.data;
        },
      },
      {
        concurrency: 4,
        attempts: 2,
        backoff: { type: 'fixed', delay: 10 },
        limiter: [{ max: 10_000, duration: 60_000, by: 'cost' }],
        group: {
          concurrency: 2,
          limiter: [
            { max: 10_000, duration: 60_000, by: 'cost' },
            { max: 1000, duration: 60_000 },
          ],
        },
        // Renewed every third of this: the hanging jobs see a renewal or two.
        leaseDuration: 300,
      },
      'w',
    );
    await pool.start();
    const added = [
      await queue.add('page', 'plain'),
      await queue.add('page', 'named', { jobId: 'named-1', removeOnComplete: false }),
      await queue.add('page', 'flaky', { group: 'user-1' }),
      await queue.add('page', 'limited', { group: 'user-2', cost: 3 }),
      await queue.add('page', 'cached', { cache: { key: 'k1', ttl: 60_000 } }),
      await queue.add('page', 'later', { delay: 20, removeOnComplete: 1 }),
      await queue.add('page', 'fail', { attempts: 1 }),
    ];
    const batch = await queue.addBatch([
      { name: 'page', data: 'b0' },
      { name: 'page', data: 'b1' },
    ]);
    for (const job of added) await queue.waitForResult(job.id).catch((e: Error) => e);
    await queue.waitForBatch(batch.id);
    await queue.retryJob(added[6]!.id);
    await until(
      async () => (await queue.getJob(added[6]!.id))?.state === 'failed',
      'retried job failed',
    );
    const again = await queue.add('page', 'cached', { cache: { key: 'k1', ttl: 60_000 } });
    expect(again.cached).toBe(true);
    await queue.pauseGroup('user-1');
    await queue.resumeGroup('user-1');
    const waiting = await queue.add('page', 'plain', { delay: 60_000 });
    await queue.cancel(waiting.id);
    await queue.getMetrics(5);
    await queue.getJob(added[1]!.id);
    await queue.removeJob(added[1]!.id);
    // A running job cancelled, and one handed back as the pool closes.
    const running = await queue.add('page', 'hang', { group: 'user-4' });
    await until(async () => (await queue.getJob(running.id))?.state === 'active', 'hang running');
    await new Promise((r) => setTimeout(r, 250));
    await queue.cancel(running.id);
    // A renewal finds the lease gone and reads the job's hash for why (cancelled).
    await new Promise((r) => setTimeout(r, 250));
    release();
    const handedBack = await queue.add('page', 'hang');
    await until(
      async () => (await queue.getJob(handedBack.id))?.state === 'active',
      'hang running',
    );
    await pool.close({ gracePeriod: 0 });
    expect((await queue.getJob(handedBack.id))?.state).toBe('waiting');

    const entries = await undeclared(client, h.prefix);
    // The instrumentation works: claims discover job hashes.
    expect(entries.some((e) => e.startsWith('move ') && /\}:job:/.test(e))).toBe(true);
    const fixed = entries.filter((e) => !DISCOVERABLE.test(suffix(e.split(' ')[2]!)));
    expect(fixed).toEqual([]);
    // Scripts called with a job's id declare that job's hash.
    const byId = entries.filter(
      (e) =>
        /^(getJob|removeJob|retryJob|cancel|release|renew|progress) /.test(e) && /\}:job:/.test(e),
    );
    expect(byId).toEqual([]);
  });
});
