import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../connection.js';
import type { QueueKeys } from './keys.js';
import addLua from './lua/add-4.lua';
import getJobLua from './lua/get-job-5.lua';
import heartbeatLua from './lua/heartbeat-2.lua';
import moveLua from './lua/move-9.lua';
import releaseLua from './lua/release-4.lua';
import removeJobLua from './lua/remove-job-5.lua';
import renewLua from './lua/renew-2.lua';
import retryJobLua from './lua/retry-job-4.lua';

/**
 * Typed calls of the Lua scripts in `./lua`. Each script is registered with
 * ioredis `defineCommand`, which runs EVALSHA and falls back to EVAL on
 * NOSCRIPT (after a Redis restart, or on a Cluster node that never saw it).
 * The command name carries a hash of the script, so two versions of this
 * library sharing one client never run each other's scripts.
 */
const SOURCES = {
  add: { lua: addLua, keys: 4 },
  move: { lua: moveLua, keys: 9 },
  heartbeat: { lua: heartbeatLua, keys: 2 },
  renew: { lua: renewLua, keys: 2 },
  release: { lua: releaseLua, keys: 4 },
  getJob: { lua: getJobLua, keys: 5 },
  retryJob: { lua: retryJobLua, keys: 4 },
  removeJob: { lua: removeJobLua, keys: 5 },
} as const;

type ScriptName = keyof typeof SOURCES;

const COMMANDS = Object.fromEntries(
  Object.entries(SOURCES).map(([name, { lua }]) => [
    name,
    `rwp_${name}_${createHash('sha1').update(lua).digest('hex').slice(0, 10)}`,
  ]),
) as Record<ScriptName, string>;

type Arg = string | number;
type Reply = unknown;
type Command = (...args: Arg[]) => Promise<Reply>;

/** A token unique to one script call, so that a resent call can be recognised. */
function callToken(): string {
  return randomBytes(12).toString('base64url');
}

/** Lua scripts are capped by the number of values `unpack()` can spread (about 8000). */
export const MAX_JOBS_PER_CALL = 1000;

export interface MoveReport {
  id: string;
  token: string;
  /** Completed, failed, retry, or rate-limited (retry without spending the attempt, and hold the queue). */
  kind: 'c' | 'f' | 'r' | 'l';
  payload: string;
  attempt: number;
  startedAt: number;
  delay: number;
  keep: string;
  batchId: string;
  batchIndex: string;
}

export interface MoveParams {
  leaseDuration: number;
  claim: number;
  tokenPrefix: string;
  defaultAttempts: number;
  /** Shared rate limit: at most `max` claims per `duration` ms; max 0 for none. */
  limiter: { max: number; duration: number };
  reports: readonly MoveReport[];
}

export type ReportStatus = 'ok' | 'stale' | 'dup';

export interface MoveResult {
  statuses: ReportStatus[];
  /** Flat: 12 values per claimed job, see `decodeClaimed`. */
  claimed: (string | null)[];
  /** Flat: id, 'retry' | 'failed', job name per reclaimed job. */
  stalled: string[];
  /** Redis time of the earliest delayed job, or -1. */
  nextDue: number;
  /** Redis time when the script ran. */
  now: number;
  /** Redis time until which the queue is held by its rate limit, or -1. */
  heldUntil: number;
  /** The queue is paused (`queue.pause()`). */
  paused: boolean;
}

export type RawJob = (string | null)[];

/** A batch being added: its id, size, ttl (s) and meta JSON ('' for none). */
export interface BatchSpec {
  id: string;
  total: number;
  ttl: number;
  meta: string;
}

/** The queue's scripts, bound to one client and one queue's keys. */
export class Scripts {
  readonly #client: RedisClient;
  readonly #keys: QueueKeys;

  constructor(client: RedisClient, keys: QueueKeys) {
    this.#client = client;
    this.#keys = keys;
    for (const name of Object.keys(SOURCES) as ScriptName[]) {
      const command = COMMANDS[name];
      if (typeof (client as unknown as Record<string, unknown>)[command] !== 'function') {
        client.defineCommand(command, { numberOfKeys: SOURCES[name].keys, lua: SOURCES[name].lua });
      }
    }
  }

  #call(name: ScriptName, args: Arg[]): Promise<Reply> {
    return ((this.#client as unknown as Record<string, Command>)[COMMANDS[name]] as Command).apply(
      this.#client,
      args,
    );
  }

  /** `jobs`: 9 values per job, see add-4.lua. Returns id, created flag pairs. */
  async add(
    batch: (BatchSpec & { first: boolean }) | undefined,
    jobs: Arg[],
  ): Promise<(string | number)[]> {
    const k = this.#keys;
    return (await this.#call('add', [
      k.wait,
      k.delayed,
      k.marker,
      k.meta,
      k.base,
      jobs.length / 9,
      batch?.id ?? '',
      batch?.total ?? 0,
      batch?.ttl ?? -1,
      batch?.first ? '1' : '0',
      callToken(),
      batch?.meta ?? '',
      ...jobs,
    ])) as (string | number)[];
  }

  async move(params: MoveParams): Promise<MoveResult> {
    const k = this.#keys;
    const args: Arg[] = [
      k.wait,
      k.active,
      k.leases,
      k.delayed,
      k.completed,
      k.failed,
      k.marker,
      k.meta,
      k.limiter,
      k.base,
      k.events,
      params.leaseDuration,
      params.claim,
      params.tokenPrefix,
      params.defaultAttempts,
      params.limiter.max,
      params.limiter.duration,
      params.reports.length,
    ];
    for (const r of params.reports) {
      // Packed as move-9.lua expects: id, `token|kind|attempt|startedAt|delay|keep|batchIndex`, batch id, payload.
      args.push(
        r.id,
        `${r.token}|${r.kind}|${r.attempt}|${r.startedAt}|${r.delay}|${r.keep}|${r.batchIndex}`,
        r.batchId,
        r.payload,
      );
    }
    const [statuses, claimed, stalled, nextDue, now, heldUntil, paused] = (await this.#call(
      'move',
      args,
    )) as [ReportStatus[], (string | null)[], string[], number, number, number, number];
    return {
      statuses,
      claimed,
      stalled,
      nextDue: Number(nextDue),
      now: Number(now),
      heldUntil: Number(heldUntil),
      paused: Number(paused) === 1,
    };
  }

  /** Say this pool is alive (with its info), or that it left. Returns Redis time. */
  async heartbeat(poolId: string, info: string, leaving = false): Promise<number> {
    const k = this.#keys;
    return Number(
      await this.#call('heartbeat', [k.pools, k.poolsSeen, poolId, info, leaving ? '1' : '0']),
    );
  }

  /** Returns the tokens whose lease is lost. */
  async renew(
    leaseDuration: number,
    leases: readonly { id: string; token: string }[],
  ): Promise<string[]> {
    const args: Arg[] = [this.#keys.active, this.#keys.leases, leaseDuration];
    for (const { id, token } of leases) args.push(id, token);
    return (await this.#call('renew', args)) as string[];
  }

  /** Returns the ids handed back to `wait`. */
  async release(leases: readonly { id: string; token: string }[]): Promise<string[]> {
    const k = this.#keys;
    const args: Arg[] = [k.wait, k.active, k.leases, k.marker];
    for (const { id, token } of leases) args.push(id, token);
    return (await this.#call('release', args)) as string[];
  }

  async getJob(id: string): Promise<RawJob | null> {
    const k = this.#keys;
    const raw = await this.#call('getJob', [
      k.active,
      k.delayed,
      k.completed,
      k.failed,
      k.leases,
      k.base,
      id,
    ]);
    return (raw as RawJob | null) ?? null;
  }

  /** 1 retried, 0 no such job, or the state of a job that has not failed. */
  async retryJob(id: string): Promise<number | string> {
    const k = this.#keys;
    return (await this.#call('retryJob', [k.wait, k.failed, k.marker, k.completed, k.base, id])) as
      number | string;
  }

  /** 1 removed, 0 no such job, -1 active. */
  async removeJob(id: string): Promise<number> {
    const k = this.#keys;
    return Number(
      await this.#call('removeJob', [
        k.wait,
        k.active,
        k.delayed,
        k.completed,
        k.failed,
        k.base,
        id,
        k.events,
      ]),
    );
  }
}
