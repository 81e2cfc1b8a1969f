import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../connection.js';
import type { JobInfo } from '../job.js';
import type { QueueKeys } from './keys.js';
import * as add from './protocol/add.js';
import * as eventsTail from './protocol/events-tail.js';
import * as cancel from './protocol/cancel.js';
import * as getJob from './protocol/get-job.js';
import * as groupState from './protocol/group-state.js';
import * as heartbeat from './protocol/heartbeat.js';
import * as leases from './protocol/leases.js';
import * as move from './protocol/move.js';
import * as progress from './protocol/progress.js';
import * as queueLag from './protocol/queue-lag.js';
import * as removeJob from './protocol/remove-job.js';
import * as retryJob from './protocol/retry-job.js';
import * as settleBatchChunk from './protocol/settle-batch-chunk.js';
import { scriptError } from './protocol/script-errors.js';
import { redactError } from '../redact.js';

/** A Redis error can carry the AUTH command and its password (ioredis' `command.args`): scrub it before it reaches the caller. */
function rejectRedacted(error: unknown): never {
  throw redactError(error);
}

/**
 * Typed calls of the Lua scripts in `./lua`, bound to one client and one
 * queue's keys. Each call is its protocol module's `encode`, the script, and
 * its `decode`: the wire format is known to those modules alone.
 *
 * Each script is registered with ioredis `defineCommand`, which runs EVALSHA
 * and falls back to EVAL on NOSCRIPT (after a Redis restart, or on a Cluster
 * node that never saw it). The command name carries a hash of the script, so
 * two versions of this library sharing one client never run each other's.
 */
const SCRIPTS = {
  add: add.script,
  move: move.script,
  heartbeat: heartbeat.script,
  renew: leases.renew,
  release: leases.release,
  getJob: getJob.script,
  retryJob: retryJob.script,
  removeJob: removeJob.script,
  settleBatchChunk: settleBatchChunk.script,
  eventsTail: eventsTail.script,
  progress: progress.script,
  cancel: cancel.script,
  groupState: groupState.script,
  queueLag: queueLag.script,
} as const;

type ScriptName = keyof typeof SCRIPTS;

const COMMANDS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, { lua }]) => [
    name,
    `rwp_${name}_${createHash('sha1').update(lua).digest('hex').slice(0, 10)}`,
  ]),
) as Record<ScriptName, string>;

type Command = (...args: (string | number)[]) => Promise<unknown>;

/** A token unique to one script call, so that a resent call can be recognised. */
export function callToken(): string {
  return randomBytes(12).toString('base64url');
}

export class Scripts {
  readonly #client: RedisClient;
  readonly #keys: QueueKeys;

  constructor(client: RedisClient, keys: QueueKeys) {
    this.#client = client;
    this.#keys = keys;
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const command = COMMANDS[name];
      if (typeof (client as unknown as Record<string, unknown>)[command] !== 'function') {
        const { lua, numberOfKeys } = SCRIPTS[name];
        // Without numberOfKeys (a script of `name-<N>+.lua`), ioredis reads the count from the call's first argument.
        client.defineCommand(command, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
      }
    }
  }

  #call(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    return ((this.#client as unknown as Record<string, Command>)[COMMANDS[name]] as Command)
      .apply(this.#client, args)
      .catch(rejectRedacted);
  }

  /**
   * Store jobs (at most MAX_JOBS_PER_CALL); with `batch`, as (part of) that
   * batch. `token` identifies the call (see `settleBatchChunk`).
   */
  async add(
    batch: add.AddRequest['batch'],
    jobs: readonly add.JobToAdd[],
    traceparent?: string,
    token = callToken(),
  ): Promise<add.AddedRecord[]> {
    const args = add.encode(this.#keys, { batch, jobs, callToken: token, traceparent });
    try {
      return add.decode(await this.#call('add', args), jobs.length);
    } catch (error) {
      throw scriptError(error, { batchId: batch?.id });
    }
  }

  async move(request: move.MoveRequest): Promise<move.MoveReply> {
    return move.decode(
      await this.#call('move', move.encode(this.#keys, request)),
      request.limiter,
      request.group,
    );
  }

  /** Say this pool is alive (with its info), or that it left. Returns Redis time. */
  async heartbeat(request: heartbeat.HeartbeatRequest): Promise<number> {
    return heartbeat.decode(await this.#call('heartbeat', heartbeat.encode(this.#keys, request)));
  }

  /** Returns the tokens whose lease is lost. */
  async renew(leaseDuration: number, held: readonly leases.Lease[]): Promise<leases.LostLease[]> {
    const args = leases.encodeRenew(this.#keys, leaseDuration, held);
    return leases.decodeRenew(await this.#call('renew', args));
  }

  /** Returns the ids handed back to `wait`. */
  async release(held: readonly leases.Lease[]): Promise<string[]> {
    return leases.decodeRelease(
      await this.#call('release', leases.encodeRelease(this.#keys, held)),
    );
  }

  async getJob(id: string): Promise<JobInfo | null> {
    return getJob.decode(id, await this.#call('getJob', getJob.encode(this.#keys, id)));
  }

  async retryJob(id: string): Promise<retryJob.RetryJobReply> {
    return retryJob.decode(await this.#call('retryJob', retryJob.encode(this.#keys, id)));
  }

  /** Store a running job's progress; false when its lease is gone (the value is ignored). */
  async progress(write: progress.ProgressWrite): Promise<boolean> {
    return progress.decode(await this.#call('progress', progress.encode(this.#keys, write)));
  }

  async cancel(request: cancel.CancelRequest): Promise<cancel.CancelReply> {
    return cancel.decode(await this.#call('cancel', cancel.encode(this.#keys, request)));
  }

  /** After an add call of a batch got no reply: its jobs are in, or its items now failed. */
  async settleBatchChunk(
    request: settleBatchChunk.SettleRequest,
  ): Promise<settleBatchChunk.SettleReply> {
    return settleBatchChunk.decode(
      await this.#call('settleBatchChunk', settleBatchChunk.encode(this.#keys, request)),
    );
  }

  /** Pause or resume one group. */
  async setGroupPaused(group: string, paused: boolean): Promise<void> {
    await this.#call(
      'groupState',
      groupState.encode(this.#keys, paused ? 'pause' : 'resume', group),
    );
  }

  /** Jobs waiting and the age of the oldest (read on demand, never by a pool). */
  async queueLag(): Promise<queueLag.QueueLag> {
    return queueLag.decode(await this.#call('queueLag', queueLag.encode(this.#keys)));
  }

  async removeJob(id: string): Promise<removeJob.RemoveJobReply> {
    return removeJob.decode(await this.#call('removeJob', removeJob.encode(this.#keys, id)));
  }

  /** The events stream's last id; with a job id, also that job's newest record among the last entries. */
  async eventsTail(id = ''): Promise<eventsTail.TailReply> {
    return eventsTail.decode(await this.#call('eventsTail', eventsTail.encode(this.#keys, id)));
  }
}
