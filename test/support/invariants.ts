import type { Queue } from '../../src/index.js';
import type { PoolEvent } from './pool-processes.js';

/** What a fault-test handler returns: who ran the attempt that wrote the result. */
export interface RunResult {
  pid: number;
  attempt: number;
  tag?: string | null;
  id?: string;
}

export interface InvariantReport {
  /** Broken invariants, one readable line each; empty when everything holds. */
  problems: string[];
  completed: number;
  failed: number;
  /** Jobs whose handler was started more than once (at-least-once at work). */
  ranMoreThanOnce: number;
  /** Reports refused because their lease had been taken over. */
  leaseLost: number;
  stalled: number;
}

export interface InvariantOptions {
  /** Ids that may end in `failed` (all others must complete); `true` for any. */
  mayFail?: ReadonlySet<string> | boolean;
  /** Jobs expected in Redis in all (more than `ids` when a test adds some it does not track). */
  total?: number;
}

/**
 * The invariants of DESIGN.md, checked at the end of every fault test:
 *
 * 1. Nothing is lost: every job added is `completed` or `failed`; nothing is
 *    left `waiting`, `delayed` or `active`, and the counts add up.
 * 2. One accepted result per job, from the final lease holder: the stored
 *    result names the attempt that wrote it, and that attempt is the job's
 *    last; no pool announced a second `completed` for it; no pool whose report
 *    was refused (`leaseLost`) is the one whose result is stored; and no
 *    attempt was started after the one whose result is stored.
 */
export async function checkInvariants(
  queue: Queue,
  ids: readonly string[],
  events: readonly PoolEvent[],
  { mayFail = false, total = ids.length }: InvariantOptions = {},
): Promise<InvariantReport> {
  const problems: string[] = [];
  const counts = await queue.getCounts();
  for (const state of ['waiting', 'delayed', 'active'] as const) {
    if (counts[state] !== 0) problems.push(`${counts[state]} jobs still ${state}`);
  }
  if (counts.completed + counts.failed !== total) {
    problems.push(
      `completed ${counts.completed} + failed ${counts.failed} != ${total} jobs added (${JSON.stringify(counts)})`,
    );
  }

  const byJob = new Map<string, PoolEvent[]>();
  for (const e of events) {
    if (e.jobId === undefined) continue;
    let list = byJob.get(e.jobId);
    if (!list) byJob.set(e.jobId, (list = []));
    list.push(e);
  }

  let completed = 0;
  let failed = 0;
  let ranMoreThanOnce = 0;
  const infos: Awaited<ReturnType<Queue['getJob']>>[] = [];
  for (let i = 0; i < ids.length; i += 200) {
    infos.push(...(await Promise.all(ids.slice(i, i + 200).map((id) => queue.getJob(id)))));
  }
  ids.forEach((id, index) => {
    const info = infos[index];
    const mine = byJob.get(id) ?? [];
    if (mine.filter((e) => e.type === 'started').length > 1) ranMoreThanOnce++;
    if (!info) {
      problems.push(`job ${id} is missing`);
      return;
    }
    if (info.state === 'failed') {
      failed++;
      const allowed = mayFail === true || (mayFail !== false && mayFail.has(id));
      if (!allowed) problems.push(`job ${id} failed: ${JSON.stringify(info.error)}`);
      return;
    }
    if (info.state !== 'completed') {
      problems.push(`job ${id} is ${info.state}`);
      return;
    }
    completed++;
    const result = info.result as RunResult | undefined;
    if (!result || typeof result.pid !== 'number' || typeof result.attempt !== 'number') {
      problems.push(`job ${id} has no result naming its writer: ${JSON.stringify(result)}`);
      return;
    }
    if (result.attempt !== info.attempts) {
      problems.push(
        `job ${id}: stored result is from attempt ${result.attempt}, but the job had ${info.attempts} attempts`,
      );
    }
    const announced = mine.filter((e) => e.type === 'completed');
    if (announced.length > 1) {
      problems.push(
        `job ${id}: ${announced.length} results accepted (${announced.map((e) => `${e.pid}#${e.attempt}`).join(', ')})`,
      );
    }
    for (const e of announced) {
      if (e.pid !== result.pid || e.attempt !== result.attempt) {
        problems.push(
          `job ${id}: pid ${e.pid} attempt ${e.attempt} was told its result was accepted, but the stored one is from ${result.pid}#${result.attempt}`,
        );
      }
    }
    const refused = mine.find(
      (e) => e.type === 'leaseLost' && e.pid === result.pid && e.attempt === result.attempt,
    );
    if (refused) {
      problems.push(
        `job ${id}: the stored result is from ${result.pid}#${result.attempt}, whose report was refused (leaseLost)`,
      );
    }
    const later = mine.find((e) => e.type === 'started' && (e.attempt ?? 0) > result.attempt);
    if (later) {
      problems.push(
        `job ${id}: the stored result is from attempt ${result.attempt}, but ${later.pid} started attempt ${later.attempt}: a superseded attempt wrote it`,
      );
    }
  });

  return {
    problems,
    completed,
    failed,
    ranMoreThanOnce,
    leaseLost: events.filter((e) => e.type === 'leaseLost').length,
    stalled: events.filter((e) => e.type === 'stalled').length,
  };
}
