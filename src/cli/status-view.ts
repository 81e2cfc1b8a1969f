import type {
  ConnectedPool,
  GroupSummary,
  JobCounts,
  JobInfo,
  PauseReason,
  QueueMetrics,
} from 'redis-worker-pool';
import { escapeControl } from '../terminal-text.js';
import { formatDuration, plural, table } from './format.js';
import { jobTable } from './job-table.js';
import { redisNow, type OpenQueue } from './open-queue.js';

/** What `worker-pool status` shows, as `--json` prints it. */
export interface StatusSnapshot {
  readonly queue: string;
  readonly prefix: string;
  /** `host:port` of Redis, never the URL. */
  readonly redis: string;
  /** Now on the Redis clock (ms). */
  readonly time: number;
  readonly paused: boolean;
  /** Why, when a handler's `QuotaExceededError` paused the queue (`queue.getPauseReason()`); else null. */
  readonly pauseReason: PauseReason | null;
  /** While a handler's `RateLimitError` holds the queue: until when (ms, Redis clock); else null. */
  readonly rateLimitedUntil: number | null;
  readonly counts: JobCounts;
  /**
   * Jobs finished per minute over the last 60 seconds: the minute under way,
   * plus the share of the previous minute that is still inside the window.
   */
  readonly lastMinute: { readonly completed: number; readonly failed: number };
  /**
   * The queue lag: ms since the longest-waiting job next in line became ready
   * to run (added, or due after its delay or backoff); 0 when nothing waits.
   */
  readonly oldestWaitingAgeMs: number;
  /** The raw per-minute counts: the previous minute and the one under way. */
  readonly minutes: QueueMetrics['minutes'];
  readonly pools: readonly ConnectedPool[];
  /** The oldest-lease-first active jobs, at most `activeLimit`. */
  readonly active: readonly JobInfo[];
  /** The groups with the most waiting jobs (at most 10). */
  readonly groups: readonly GroupSummary[];
}

export async function readStatus(open: OpenQueue, activeLimit: number): Promise<StatusSnapshot> {
  const { queue } = open;
  const [counts, paused, pauseReason, metrics, pools, active, groups, time] = await Promise.all([
    queue.getCounts(),
    queue.isPaused(),
    queue.getPauseReason(),
    queue.getMetrics(2),
    queue.getPools(),
    queue.getJobs('active', { limit: activeLimit }),
    queue.getGroups(10),
    redisNow(open.client),
  ]);
  const [previous, current] = metrics.minutes;
  // The window is the last 60 s: all of this minute, and the end of the previous one.
  const share = current ? 1 - Math.min(1, Math.max(0, (time - current.at) / 60_000)) : 0;
  const rate = (field: 'completed' | 'failed') =>
    Math.round((current?.[field] ?? 0) + (previous?.[field] ?? 0) * share);
  return {
    queue: open.name,
    prefix: open.prefix,
    redis: open.target.label,
    time,
    paused,
    pauseReason,
    rateLimitedUntil: counts.rateLimitedUntil ?? null,
    counts,
    lastMinute: { completed: rate('completed'), failed: rate('failed') },
    oldestWaitingAgeMs: metrics.oldestWaitingAgeMs,
    minutes: metrics.minutes,
    pools,
    active,
    groups,
  };
}

/** The text of `worker-pool status`, one string per line. */
export function renderStatus(s: StatusSnapshot, width?: number): string[] {
  const c = s.counts;
  const slots = s.pools.reduce((sum, pool) => sum + pool.concurrency, 0);
  const busy = s.pools.reduce((sum, pool) => sum + pool.active, 0);
  const lines = [
    `Queue ${s.queue} (prefix ${s.prefix}, Redis ${s.redis})${s.paused ? ': PAUSED, pools do not claim jobs (worker-pool resume)' : ''}`,
    ...(s.pauseReason === null
      ? []
      : [
          // One line: a newline in the message must not pass for a line of this view.
          `QUOTA EXCEEDED ${formatDuration(s.time - s.pauseReason.at)} ago (job ${escapeControl(s.pauseReason.jobId, { lines: false })}): ${escapeControl(s.pauseReason.reason, { lines: false })}`,
        ]),
    ...(s.rateLimitedUntil === null
      ? []
      : [
          `RATE LIMITED for ${formatDuration(s.rateLimitedUntil - s.time)} more (a handler's RateLimitError): pools do not claim jobs (worker-pool resume lifts it)`,
        ]),
    '',
    `  Jobs         ${c.waiting} waiting, ${c.delayed} delayed, ${c.active} active, ${c.completed} completed, ${c.failed} failed`,
    `  Lag          ${c.waiting > 0 ? `oldest waiting job ready for ${formatDuration(s.oldestWaitingAgeMs)}` : 'none (nothing waiting)'}`,
    `  Last minute  ${s.lastMinute.completed} completed, ${s.lastMinute.failed} failed`,
    `  Pools        ${plural(s.pools.length, 'pool')} connected, ${busy}/${slots} workers busy`,
  ];
  if (s.pools.length > 0) {
    lines.push('', 'Pools');
    lines.push(
      ...table(
        ['HOST', 'PID', 'WORKERS', 'ACTIVE', 'UP', 'SEEN', 'ID'],
        s.pools.map((pool) => [
          pool.hostname,
          String(pool.pid),
          // An adaptive pool: its figure now, and the bounds it moves within.
          pool.maxConcurrency === undefined
            ? String(pool.concurrency)
            : `${pool.concurrency} (${pool.minConcurrency ?? 1}-${pool.maxConcurrency})`,
          String(pool.active) + (pool.paused ? ' (paused)' : ''),
          // startedAt is the pool's own clock; the difference is close enough for "up".
          pool.startedAt > 0 ? formatDuration(s.time - pool.startedAt) : '',
          `${formatDuration(pool.lastSeenAgo)} ago`,
          pool.id,
        ]),
        { width },
      ),
    );
  }
  if (s.active.length > 0) {
    const more = c.active > s.active.length ? ` (oldest ${s.active.length} of ${c.active})` : '';
    lines.push('', `Active jobs${more}`);
    lines.push(...jobTable('active', s.active, s.time, width));
  }
  if (s.groups.length > 0) {
    lines.push('', 'Groups with the most waiting jobs');
    lines.push(
      ...table(
        ['GROUP', 'WAITING', 'ACTIVE'],
        s.groups.map((g) => [
          g.group,
          String(g.waiting),
          String(g.active) + (g.paused ? ' (paused)' : ''),
        ]),
        { width },
      ),
    );
  }
  const empty = c.waiting + c.delayed + c.active + c.completed + c.failed === 0;
  if (empty && s.pools.length === 0) {
    lines.push(
      '',
      `No jobs and no pools on queue ${s.queue} with prefix ${s.prefix}: check --queue, --prefix and the Redis URL.`,
    );
  }
  return lines;
}
