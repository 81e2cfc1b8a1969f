import type { AttemptReport, ReportKind, ReportStatus } from '../../attempt-report.js';
import { CostOverLimitError } from '../../errors.js';
import type { ClaimedJob } from '../../job.js';
import type { LimitWindow, ResolvedLimiter } from '../../limiter.js';
import type { QueueKeys } from '../keys.js';
import moveScript from '../lua/move-18+.lua';
import { DEFAULT_KEEP, policySetsKey } from './retention-sets.js';
import { EVENTS_MAXLEN } from './events.js';
import { decodeClaimedJobs } from './claimed-job.js';

/**
 * The pool's hot path (see move-18+.lua): report finished attempts, reclaim
 * expired leases, claim jobs, in one call. This module is the only one that
 * knows how its arguments are packed and its reply laid out.
 */
export const script = moveScript;

/** Lua scripts are capped by the number of values `unpack()` can spread (about 8000). */
export const MAX_JOBS_PER_CALL = 1000;

export interface MoveRequest {
  leaseDuration: number;
  /** Jobs to claim; 0 to only report. */
  claim: number;
  /**
   * Unique to this call, and the same when it is sent again: the script
   * recognises a resent call by it and answers as the first run did.
   */
  tokenPrefix: string;
  /** Look for expired leases in this call (costs a command; about once a second is enough). */
  reclaim: boolean;
  /** Attempts of a reclaimed job that set none. */
  defaultAttempts: number;
  /** Shared rate limits: job starts and cost units per window (none: both empty). */
  limiter: ResolvedLimiter;
  /** Per-group limits (see includes/groups.lua); undefined for none. */
  group?: GroupPolicy | undefined;
  reports: readonly AttemptReport[];
}

/** Limits each group gets on its own, across every pool. */
export interface GroupPolicy {
  /** Jobs of one group active at once; 0 for no limit. */
  readonly concurrency: number;
  /** `group.limiter`'s windows, by what they count; both empty for none. */
  readonly limiter: ResolvedLimiter;
}

/** A job whose lease expired, moved back to waiting (`retry`) or, out of attempts, to `failed`. */
export interface StalledJob {
  readonly id: string;
  readonly name: string;
  readonly outcome: 'retry' | 'failed';
}

export interface MoveReply {
  /** One per report, in order. */
  statuses: ReportStatus[];
  claimed: ClaimedJob[];
  stalled: StalledJob[];
  /** Redis time when a job may next become claimable (a delayed job or a lease), if any. */
  nextDue: number | undefined;
  /** Redis time when the script ran. */
  now: number;
  /** Redis time until which the queue is held by its rate limit, if it is. */
  heldUntil: number | undefined;
  /** The queue is paused (`queue.pause()`). */
  paused: boolean;
}

/** The one-letter kinds of move-18+.lua. */
const KIND: Record<ReportKind, string> = {
  completed: 'c',
  failed: 'f',
  retry: 'r',
  rateLimited: 'l',
  quotaExceeded: 'q',
};

export function encode(keys: QueueKeys, request: MoveRequest): (string | number)[] {
  const { reports } = request;
  const declared = declaredKeys(keys, request);
  const args: (string | number)[] = [
    // The script takes a variable number of KEYS: their count comes first.
    declared.length,
    ...declared,
    keys.base,
    EVENTS_MAXLEN,
    request.leaseDuration,
    request.claim,
    request.tokenPrefix,
    // 0 tells the script to skip the look for expired leases.
    request.reclaim ? Math.max(1, request.defaultAttempts) : 0,
    packWindows(request.limiter.jobs),
    packWindows(request.limiter.cost),
    reports.length,
  ];
  for (const r of reports) {
    // Packed: fewer arguments is less work on both sides.
    args.push(
      `${r.token}|${kindLetter(r)}${r.cost === undefined ? '' : wireInt(r.cost)}|${wireInt(r.attempt)}|${wireInt(r.startedAt)}|${wireInt(r.delay)}|${r.keep}|${r.batchIndex ?? ''}${r.group === undefined ? '' : `|${r.group}`}`,
      r.batchId ?? '',
      r.payload,
    );
  }
  const { group } = request;
  // Last, and only when set: a pool without group limits sends nothing for them.
  if (group) {
    args.push(
      `${group.concurrency}|${packWindows(group.limiter.jobs)}|${packWindows(group.limiter.cost)}`,
    );
  }
  return args;
}

/**
 * Every key the call may touch that is known before it runs (see move-18+.lua):
 * the queue's fixed keys, each reported job's hash (in report order: the script
 * reads the id from it), then the keys those reports lead to (their batches,
 * groups, their groups' cost windows when a cost is settled, and retention
 * sets) and the pool's cost windows. Redis Cluster checks
 * declared keys before running a script (a slot being migrated answers ASK or
 * TRYAGAIN instead of a half-run), and ioredis' `keyPrefix` reaches them all.
 */
function declaredKeys(keys: QueueKeys, request: MoveRequest): string[] {
  const declared = [
    keys.wait,
    keys.active,
    keys.leases,
    keys.delayed,
    keys.completed,
    keys.failed,
    keys.marker,
    keys.meta,
    keys.limiter,
    keys.events,
    keys.data,
    keys.call(request.tokenPrefix),
    keys.metrics,
    keys.groupRing,
    keys.groupsParked,
    keys.groupsAside,
    policySetsKey(keys, 'completed'),
    policySetsKey(keys, 'failed'),
  ];
  const { reports } = request;
  for (const r of reports) declared.push(keys.job(r.id));
  if (reports.length === 0 && request.limiter.cost.length === 0) return declared;
  // A Set: each once, however many reports lead to it.
  const more = new Set<string>();
  for (const r of reports) {
    if (r.batchId) more.add(keys.batch(r.batchId));
    if (r.cacheKey !== undefined) more.add(keys.cache(r.cacheKey));
    if (r.group !== undefined) {
      more.add(keys.group(r.group));
      more.add(keys.groupWait(r.group));
      // A reported cost is settled in the group's cost windows too.
      if (r.cost !== undefined && request.group) {
        for (const w of request.group.limiter.cost)
          more.add(keys.groupCostWindow(r.group, w.duration));
      }
    }
    const state = r.kind === 'completed' ? 'completed' : r.kind === 'failed' ? 'failed' : undefined;
    if (state && r.keep !== DEFAULT_KEEP[state]) more.add(`${keys[state]}:${r.keep}`);
  }
  for (const w of request.limiter.cost) more.add(keys.costWindow(w.duration));
  for (const key of more) declared.push(key);
  return declared;
}

/** A report's kind letter: upper case for a job with a cache, whose entry the script settles. */
function kindLetter(r: AttemptReport): string {
  if (r.groupScope) return 'g';
  return r.cached ? KIND[r.kind].toUpperCase() : KIND[r.kind];
}

/** Windows as the script reads them: `max:duration` joined by ',', or '0' for none. */
function packWindows(windows: readonly LimitWindow[]): string {
  if (windows.length === 0) return '0';
  if (windows.length === 1) return `${windows[0]!.max}:${windows[0]!.duration}`;
  return windows.map((w) => `${w.max}:${w.duration}`).join(',');
}

/**
 * The script reads these as digits only: a fractional, negative, huge
 * (`1e+21`) or non-finite number would make the report unreadable. Round and
 * clamp to [0, 2^53) here, before the wire.
 */
export function wireInt(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.min(Math.max(Math.round(value), 0), Number.MAX_SAFE_INTEGER);
}

type RawReply = [
  ReportStatus[],
  (string | null)[],
  string[],
  number,
  number,
  number,
  number,
  (string | number)[] | undefined,
  (string | number)[] | undefined,
];

export function decode(reply: unknown, limiter?: ResolvedLimiter, group?: GroupPolicy): MoveReply {
  const [statuses, claimed, stalled, nextDue, now, heldUntil, paused, overCost, groups] =
    reply as RawReply;
  const due = Number(nextDue);
  const held = Number(heldUntil);
  const jobs = decodeClaimedJobs(claimed, groups);
  if (overCost && overCost.length > 0) markOverCost(jobs, overCost, limiter, group);
  return {
    statuses,
    claimed: jobs,
    stalled: decodeStalled(stalled),
    nextDue: due >= 0 ? due : undefined,
    now: Number(now),
    heldUntil: held > 0 ? held : undefined,
    paused: Number(paused) === 1,
  };
}

/**
 * Jobs the script found over a cost window's max (id, cost pairs), the pool's
 * or their group's: claimed, not charged, and failed at once by the pool with
 * a CostOverLimitError.
 */
function markOverCost(
  jobs: ClaimedJob[],
  values: readonly (string | number)[],
  limiter: ResolvedLimiter | undefined,
  group: GroupPolicy | undefined,
): void {
  const costs = new Map<string, number>();
  for (let i = 0; i + 1 < values.length; i += 2)
    costs.set(String(values[i]), Number(values[i + 1]));
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!;
    const cost = costs.get(job.job.id);
    if (cost === undefined) continue;
    const own = limiter?.cost.find((w) => cost > w.max);
    const window =
      own ??
      (job.job.group === undefined ? undefined : group?.limiter.cost.find((w) => cost > w.max));
    jobs[i] = {
      ...job,
      decodeError: new CostOverLimitError(
        job.job.id,
        cost,
        window?.max,
        window?.duration,
        own || window === undefined ? 'limiter' : 'group.limiter',
      ),
    };
  }
}

/** Three values per reclaimed job: id, 'retry' or 'failed', name. */
function decodeStalled(values: readonly string[]): StalledJob[] {
  const jobs: StalledJob[] = [];
  for (let i = 0; i + 2 < values.length; i += 3) {
    jobs.push({
      id: values[i] as string,
      outcome: values[i + 1] as StalledJob['outcome'],
      name: values[i + 2] as string,
    });
  }
  return jobs;
}
