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
 * - `rwp:{pages}:marker`    ZSET  one member; idle pools block on it (BZPOPMIN) to be woken
 * - `rwp:{pages}:meta`      HASH  id sequence, queue-wide pause flag, rate-limit hold (`held`)
 * - `rwp:{pages}:limiter`   ZSET  recent claims (token -> time), for the shared rate limit
 * - `rwp:{pages}:pools`     HASH  pool id -> JSON info of each running pool
 * - `rwp:{pages}:pools:seen` ZSET pool id -> last heartbeat (ms)
 * - `rwp:{pages}:metrics:<completed|failed>:<minute>` counters of finished jobs, kept an hour
 * - `rwp:{pages}:job:<id>`  HASH  one job (small fields: a listpack; legend in protocol/job-fields.ts)
 * - `rwp:{pages}:data`      HASH  job id -> payload JSON, for every job (kept out of the job's
 *                                 hash so that hash stays a compact listpack)
 * - `rwp:{pages}:batch:<id>` HASH one batch: counters and its jobs' results by index
 * - `rwp:{pages}:events`    pub/sub channel announcing finished jobs and batches
 * - `rwp:{pages}:groups`, `groups:parked`, `gh:<group>`, `gw:<group>`, `gl:<group>`: the
 *   groups' ring, parked groups, each group's state, waiting jobs and limiter; built in
 *   the scripts from `base` (see lua/includes/groups.lua), and here for reading
 */
export interface QueueKeys {
  /** Prefix of per-job and per-batch keys, handed to scripts that build them. */
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
  job(id: string): string;
  batch(id: string): string;
  /** A group's state hash, and its list of waiting jobs (see lua/includes/groups.lua). */
  group(name: string): string;
  groupWait(name: string): string;
  /** Groups taking turns (LIST), parked (ZSET), set aside: paused or at their concurrency (SET). */
  readonly groupRing: string;
  readonly groupsParked: string;
  readonly groupsAside: string;
  /** Counter of jobs that reached `state` during `minute` (ms since the epoch / 60000). */
  metrics(state: 'completed' | 'failed', minute: number): string;
}

export function queueKeys(prefix: string, queueName: string): QueueKeys {
  const base = `${prefix}:{${queueName}}:`;
  return Object.freeze({
    base,
    wait: `${base}wait`,
    active: `${base}active`,
    leases: `${base}leases`,
    delayed: `${base}delayed`,
    completed: `${base}completed`,
    failed: `${base}failed`,
    marker: `${base}marker`,
    meta: `${base}meta`,
    limiter: `${base}limiter`,
    pools: `${base}pools`,
    poolsSeen: `${base}pools:seen`,
    events: `${base}events`,
    job: (id: string) => `${base}job:${id}`,
    batch: (id: string) => `${base}batch:${id}`,
    group: (name: string) => `${base}gh:${name}`,
    groupWait: (name: string) => `${base}gw:${name}`,
    groupRing: `${base}groups`,
    groupsParked: `${base}groups:parked`,
    groupsAside: `${base}groups:aside`,
    metrics: (state: 'completed' | 'failed', minute: number) => `${base}metrics:${state}:${minute}`,
  });
}
