/**
 * Every Redis key of a queue is built here, and every one carries the queue's
 * `{hash tag}`, so a queue lives on a single Redis Cluster slot and its
 * scripts never touch two slots (no CROSSSLOT errors).
 *
 * Layout, for prefix `rwp` and queue `pages`:
 * - `rwp:{pages}:wait`      LIST  ids ready to run (LPUSH to add, RPOP to claim: FIFO)
 * - `rwp:{pages}:active`    ZSET  id -> lease deadline (ms, Redis clock)
 * - `rwp:{pages}:leases`    HASH  id -> token of the lease that holds it
 * - `rwp:{pages}:delayed`   ZSET  id -> due time (ms): delayed jobs and retries in backoff
 * - `rwp:{pages}:completed` ZSET  id -> finish time, trimmed by retention
 * - `rwp:{pages}:failed`    ZSET  id -> finish time, trimmed by retention
 * - `rwp:{pages}:<completed|failed>:<count:age>` ZSET the same, for jobs whose retention
 *                                 is not the default: one set per policy, so each
 *                                 policy trims its own jobs only; listed in the SET
 *                                 `...:<completed|failed>:sets` (protocol/retention-sets.ts)
 * - `rwp:{pages}:marker`    ZSET  one member; idle pools block on it (BZPOPMIN) to be woken
 * - `rwp:{pages}:meta`      HASH  id sequence, queue-wide pause flag, rate-limit hold (`held`)
 * - `rwp:{pages}:limiter`   ZSET  recent claims (token -> time), for the shared rate limit
 * - `rwp:{pages}:pools`     HASH  pool id -> JSON info of each running pool
 * - `rwp:{pages}:pools:seen` ZSET pool id -> last heartbeat (ms)
 * - `rwp:{pages}:metrics`   HASH  per-minute counters, field `<counter>:<minute>`: finished
 *                                 jobs (`completed`, `failed`) and adds with a `cache`
 *                                 (`cache-hits`, `cache-misses`), kept an hour (see
 *                                 lua/includes/metrics.lua)
 * - `rwp:{pages}:cache:<key>` HASH the job that runs or ran for a cache key, and its result once
 *                                 completed (expires `ttl` ms after; see lua/includes/cache.lua)
 * - `rwp:{pages}:job:<id>`  HASH  one job (small fields: a listpack; legend in protocol/job-fields.ts)
 * - `rwp:{pages}:data`      HASH  job id -> payload JSON, for every job (kept out of the job's
 *                                 hash so that hash stays a compact listpack)
 * - `rwp:{pages}:batch:<id>` HASH one batch: counters and its jobs' results by index
 * - `rwp:{pages}:call:<token>` STRING what one script call did, for a resend of it
 * - `rwp:{pages}:events`    STREAM of finished and removed jobs and finished batches, capped
 *                                 (see protocol/events.ts); waits read it
 * - `rwp:{pages}:progress:<id>` / `rwp:{pages}:batch-progress:<id>` pub/sub channels: hints
 *                                 that a job's (a batch item's) stored progress changed
 * - `rwp:{pages}:cancel`    pub/sub channel telling the pool that runs a job it was cancelled
 * - `rwp:{pages}:groups`, `groups:parked`, `groups:aside`, `gh:<group>`, `gw:<group>`,
 *   `gl:<group>`, `gc:<duration>:<group>`: the groups' ring, parked and set-aside
 *   groups, each group's state, waiting jobs, job starts and cost units charged (its
 *   `group.limiter` windows) (see lua/includes/groups.lua, which builds the same
 *   names from `base`)
 * - `rwp:{pages}:cost:<duration>` HASH  cost units charged per sub-bucket of a
 *   `by: 'cost'` window (see lua/includes/cost-windows.lua, which builds the same
 *   names from `base`)
 *
 * Scripts receive in KEYS every key they can know before they run (Redis Cluster
 * and proxies check declared keys; see docs/deployment.md): the fixed keys
 * above, and the job, batch, group, retention-set and cost-window keys their
 * arguments name. The keys a script discovers as it runs (the hashes of the
 * jobs it claims, and what those lead to) it builds from `base`, so they stay
 * in the queue's slot.
 *
 * ioredis' `keyPrefix` goes before all of them: ioredis adds it to the keys of
 * every command and to a script's KEYS, `base` carries it for the keys a
 * script builds itself, and the channels carry it here (ioredis never
 * prefixes a channel), so everything lands in the same name space.
 */
/** The per-minute counters a queue keeps. */
export type MetricsCounter = 'completed' | 'failed' | 'cache-hits' | 'cache-misses';

export interface QueueKeys {
  /**
   * Prefix of per-job and per-batch keys, handed to scripts that build them:
   * it starts with the client's keyPrefix, which ioredis adds to KEYS but not
   * to ARGV.
   */
  readonly base: string;
  readonly wait: string;
  readonly active: string;
  readonly leases: string;
  readonly delayed: string;
  readonly completed: string;
  readonly failed: string;
  readonly marker: string;
  readonly meta: string;
  readonly limiter: string;
  readonly pools: string;
  readonly poolsSeen: string;
  readonly events: string;
  /** Pub/sub channel telling the pool that runs a job it was cancelled (see protocol/cancel.ts). */
  readonly cancel: string;
  job(id: string): string;
  batch(id: string): string;
  /** Pub/sub channel hinting that job `id`'s progress changed (see protocol/progress.ts). */
  progress(id: string): string;
  /** Pub/sub channel hinting that the progress of an item of batch `id` changed. */
  batchProgress(id: string): string;
  /**
   * The cost units charged per sub-bucket of a `by: 'cost'` window of `duration`
   * ms (see lua/includes/cost-windows.lua, which builds it from `base`).
   */
  costWindow(duration: number): string;
  /** A group's state hash, and its list of waiting jobs (see lua/includes/groups.lua). */
  group(name: string): string;
  groupWait(name: string): string;
  /** A group's job starts (ZSET), and its cost units per sub-bucket of a window of `duration` ms (HASH). */
  groupLimiter(name: string): string;
  groupCostWindow(name: string, duration: number): string;
  /** Groups taking turns (LIST), parked (ZSET), set aside: paused or at their concurrency (SET). */
  readonly groupRing: string;
  readonly groupsParked: string;
  readonly groupsAside: string;
  /** The replay record of one script call (see add-6+.lua and move-18+.lua). */
  call(token: string): string;
  /** The HASH of payloads: job id -> data JSON. */
  readonly data: string;
  /** The HASH of per-minute counters (see `metricsField`). */
  readonly metrics: string;
  /** The entry of a cache key (see lua/includes/cache.lua); the scripts build it from `base` alike. */
  cache(key: string): string;
}

/**
 * `keyPrefix`: the ioredis client's own `keyPrefix` option, if it has one
 * (see `keyPrefixOf()` in connection.ts). Keys stay without it, as ioredis
 * wants them; only `base`, which scripts receive as an argument, carries it.
 */
export function queueKeys(prefix: string, queueName: string, keyPrefix = ''): QueueKeys {
  const local = `${prefix}:{${queueName}}:`;
  return Object.freeze({
    base: `${keyPrefix}${local}`,
    wait: `${local}wait`,
    active: `${local}active`,
    leases: `${local}leases`,
    delayed: `${local}delayed`,
    completed: `${local}completed`,
    failed: `${local}failed`,
    marker: `${local}marker`,
    meta: `${local}meta`,
    limiter: `${local}limiter`,
    pools: `${local}pools`,
    poolsSeen: `${local}pools:seen`,
    events: `${local}events`,
    // Channels are not keys: ioredis leaves them alone, so the keyPrefix is
    // added here, keeping two apps with one prefix and queue name apart.
    cancel: `${keyPrefix}${local}cancel`,
    job: (id: string) => `${local}job:${id}`,
    batch: (id: string) => `${local}batch:${id}`,
    progress: (id: string) => `${keyPrefix}${local}progress:${id}`,
    batchProgress: (id: string) => `${keyPrefix}${local}batch-progress:${id}`,
    call: (token: string) => `${local}call:${token}`,
    group: (name: string) => `${local}gh:${name}`,
    groupWait: (name: string) => `${local}gw:${name}`,
    groupLimiter: (name: string) => `${local}gl:${name}`,
    groupCostWindow: (name: string, duration: number) => `${local}gc:${duration}:${name}`,
    groupRing: `${local}groups`,
    groupsParked: `${local}groups:parked`,
    groupsAside: `${local}groups:aside`,
    data: `${local}data`,
    metrics: `${local}metrics`,
    cache: (key: string) => `${local}cache:${key}`,
    costWindow: (duration: number) => `${local}cost:${duration}`,
  });
}

/** The field of the `metrics` hash counting `counter` during `minute` (ms since the epoch / 60000). */
export function metricsField(counter: MetricsCounter, minute: number): string {
  return `${counter}:${minute}`;
}
