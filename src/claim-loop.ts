import type { ResolvedLimiter } from './limiter.js';
import pRetry from 'p-retry';
import type { AttemptReport, ReportOutcome } from './attempt-report.js';
import type { ClaimedJob } from './job.js';
import {
  MAX_JOBS_PER_CALL,
  type MoveReply,
  type GroupPolicy,
  type MoveRequest,
  type StalledJob,
} from './redis/protocol/move.js';

/** The one script the loop calls (see src/redis/protocol/move.ts). */
export interface MoveScript {
  move(request: MoveRequest): Promise<MoveReply>;
}

/** Blocks until a producer signals work (BZPOPMIN on the queue's marker) or `ms` pass. */
export type WaitForWork = (ms: number) => Promise<unknown>;

/** What the loop needs from the pool that owns it. */
export interface ClaimLoopHost {
  /** Worker slots free to take a job now; 0 while paused or closing. */
  freeSlots(): number;
  /** Jobs the pool may run at once now, when it changes (adaptive); else `concurrency`. */
  concurrency?(): number;
  /** Jobs claimed at `now` (Redis time, ms). */
  onClaimed(jobs: ClaimedJob[], now: number): void;
  onStalled(job: StalledJob): void;
  /** A claim found no job ready. */
  onQueueEmpty(): void;
  onError(error: Error, context: string): void;
}

export interface ClaimLoopOptions {
  leaseDuration: number;
  pollInterval: number;
  defaultAttempts: number;
  limiter: ResolvedLimiter;
  /** Per-group limits; undefined for none. */
  group?: GroupPolicy | undefined;
  concurrency: number;
  poolId: string;
}

interface PendingReport {
  report: AttemptReport;
  resolve(status: ReportOutcome): void;
}

export type ReportCallback = (outcome: ReportOutcome) => void;

/** How often a pool looks for expired leases, at most (ms). */
const RECLAIM_EVERY = 1000;

/** Move calls on their way at once (see #pump). */
const MAX_IN_FLIGHT = 2;

/**
 * The pool's only conversation with Redis about jobs. One `move` script call
 * at a time carries every report waiting to be sent *and* claims jobs for
 * every free slot, so under load a finished job and its replacement cost one
 * round trip together, and many of them share it. When a claim finds nothing,
 * the loop blocks on the queue's marker key (BZPOPMIN, on a connection of its
 * own) until a producer adds a job: no polling, and no delay for a ready job.
 */
export class ClaimLoop {
  readonly #scripts: MoveScript;
  readonly #waitForWork: WaitForWork;
  readonly #options: ClaimLoopOptions;
  readonly #host: ClaimLoopHost;
  #reports: PendingReport[] = [];
  #calls = 0;
  /** Move calls on their way. */
  #inFlight = 0;
  /** Slots that calls on their way may fill. */
  #claiming = 0;
  readonly #claimPerCall: number;
  #lastReclaim = 0;
  #pumpScheduled = false;
  #blocked = false;
  #stopped = false;
  /** False after a claim came back short: the queue is empty until the marker says otherwise. */
  #mayHaveWork = true;
  /**
   * True while claims come back full (a backlog): only then does a second
   * claiming call go out beside the first. A pool woken for one new job sends
   * one claim, not two of which the second finds nothing and delays the
   * first's reply (Redis answers a connection's pipelined calls together).
   */
  #backlog = false;
  /**
   * When a job may next become claimable, on this machine's clock (the earliest
   * delayed job, lease deadline or rate-limit release); 0 for none.
   */
  #nextDueAt = 0;
  #idle: (() => void)[] = [];
  /** Aborted by `abandon()`: stops retrying calls to an unreachable Redis. */
  readonly #abandon = new AbortController();

  constructor(
    scripts: MoveScript,
    waitForWork: WaitForWork,
    options: ClaimLoopOptions,
    host: ClaimLoopHost,
  ) {
    this.#scripts = scripts;
    this.#waitForWork = waitForWork;
    this.#options = options;
    this.#host = host;
    this.#claimPerCall = Math.max(1, Math.ceil(options.concurrency / MAX_IN_FLIGHT));
  }

  /**
   * Queue a report for the next call. `onOutcome` runs with the script's
   * verdict synchronously, before the jobs claimed by the same call start,
   * so a slot's log reads "Completed job A" before "Processing job B".
   */
  report(report: AttemptReport, onOutcome: ReportCallback): void {
    this.#reports.push({ report, resolve: onOutcome });
    // Nothing on its way: send at once. Else wait for the end of this turn of
    // the event loop, so that jobs finishing together (a wave of quick jobs)
    // share the second call instead of the first of them taking it alone.
    if (this.#inFlight === 0) this.#pump();
    else this.#schedulePump();
  }

  /** Pump at the end of this turn of the event loop (once, however many ask). */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** A slot came free, or the pool resumed: claim now rather than wait for the marker. */
  wake(): void {
    this.#mayHaveWork = true;
    this.#pump();
  }

  /** A slot came free just before a report: let that report's call claim for it. */
  expectWork(): void {
    this.#mayHaveWork = true;
  }

  /** Stop claiming and blocking; reports still go out. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Give up on reports not sent yet (Redis unreachable while the pool closes).
   * Their jobs keep their leases until those expire, then another pool takes
   * them over: late, but not lost.
   */
  abandon(): void {
    this.#stopped = true;
    this.#abandon.abort();
    for (const p of this.#reports.splice(0)) p.resolve('unsent');
  }

  /** Resolves once every queued report has been sent (or `timeout` ms passed); false on timeout. */
  flush(timeout: number): Promise<boolean> {
    if (this.#inFlight === 0 && this.#reports.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeout);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      this.#pump();
    });
  }

  /**
   * Keep up to MAX_IN_FLIGHT move calls going while there are reports to send
   * or free slots to fill. With two in flight, each claims at most half the
   * slots: the jobs fall into two waves, and the pool runs one wave while Redis
   * serves the call of the other, so both keep busy.
   */
  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT) {
      if (this.#abandon.signal.aborted) {
        for (const p of this.#reports.splice(0)) p.resolve('unsent');
        break;
      }
      const free = this.#host.freeSlots() - this.#claiming;
      const perCall = this.#host.concurrency
        ? Math.max(1, Math.ceil(this.#host.concurrency() / MAX_IN_FLIGHT))
        : this.#claimPerCall;
      const claim =
        this.#stopped || !this.#mayHaveWork || free <= 0 || (this.#claiming > 0 && !this.#backlog)
          ? 0
          : Math.min(free, perCall, MAX_JOBS_PER_CALL);
      if (this.#reports.length === 0 && claim === 0) break;
      const pending = this.#reports.splice(0, MAX_JOBS_PER_CALL);
      this.#inFlight++;
      this.#claiming += claim;
      void this.#call(pending, claim);
    }
    if (this.#inFlight === 0) {
      for (const notify of this.#idle.splice(0)) notify();
      this.#blockUntilWork();
    }
  }

  async #call(pending: PendingReport[], claim: number): Promise<void> {
    let result: MoveReply | undefined;
    try {
      result = await this.#move(pending, claim);
    } finally {
      this.#inFlight--;
      this.#claiming -= claim;
    }
    if (result) this.#apply(result, pending, claim);
    this.#pump();
  }

  #apply(result: MoveReply, pending: PendingReport[], claim: number): void {
    try {
      pending.forEach((p, i) => p.resolve(result.statuses[i] ?? 'stale'));
      for (const job of result.stalled) this.#host.onStalled(job);
      if (claim > 0) {
        const jobs = result.claimed;
        this.#backlog = jobs.length >= claim;
        if (jobs.length > 0) this.#host.onClaimed(jobs, result.now);
        if (jobs.length < claim) {
          // Sleep until the marker wakes us, or until the rate limit lets go, or a delayed job is due.
          this.#mayHaveWork = false;
          const wakeAt = result.heldUntil ?? result.nextDue;
          this.#nextDueAt = wakeAt !== undefined ? Date.now() + (wakeAt - result.now) : 0;
          if (result.heldUntil === undefined && !result.paused) this.#host.onQueueEmpty();
        }
      }
    } catch (error) {
      // A bug here must not stop the loop; claimed jobs it failed to start are reclaimed after their lease.
      this.#host.onError(
        error instanceof Error ? error : new Error(String(error)),
        'starting claimed jobs',
      );
    }
  }

  /**
   * One move call, retried with backoff, unchanged, until Redis answers.
   * Unchanged matters: the call may have run before its reply was lost, and
   * the script recognises a retry by its token prefix and returns what the
   * first run did, so nothing is applied twice and no claimed job is left
   * behind. Only `abandon()` (closing with Redis gone) stops the retries.
   */
  async #move(pending: PendingReport[], claim: number): Promise<MoveReply | undefined> {
    const params: MoveRequest = {
      leaseDuration: this.#options.leaseDuration,
      claim,
      tokenPrefix: `${this.#options.poolId}.${++this.#calls}`,
      // Calls that only claim (an idle pool waking up) always look for expired
      // leases; busy calls look about once a second (leases last far longer).
      reclaim: pending.length === 0 || this.#reclaimDue(),
      defaultAttempts: this.#options.defaultAttempts,
      limiter: this.#options.limiter,
      group: this.#options.group,
      reports: pending.map((p) => p.report),
    };
    // The first try goes straight out: p-retry's set-up (an options copy, its
    // checks, an async frame) cost about 1.5 µs a job at concurrency 50.
    let first: unknown;
    try {
      return await this.#scripts.move(params);
    } catch (error) {
      first = error;
    }
    try {
      // The failed first try is p-retry's attempt 1: its backoff and error handling apply as before.
      return await pRetry(
        (attempt) => (attempt === 1 ? Promise.reject(first) : this.#scripts.move(params)),
        {
          retries: Number.MAX_SAFE_INTEGER,
          minTimeout: 50,
          maxTimeout: 2000,
          onFailedAttempt: ({ error, attemptNumber }) => {
            if (attemptNumber === 1)
              this.#host.onError(error, 'claiming jobs and reporting results');
          },
          signal: this.#abandon.signal,
        },
      );
    } catch (error) {
      if (this.#abandon.signal.aborted) {
        for (const p of pending) p.resolve('unsent');
        return undefined;
      }
      this.#reports.unshift(...pending);
      this.#host.onError(
        error instanceof Error ? error : new Error(String(error)),
        'claiming jobs',
      );
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(this.#options.pollInterval, 1000)),
      );
      return undefined;
    }
  }

  /** Whether this call should look for expired leases: at most every RECLAIM_EVERY ms. */
  #reclaimDue(): boolean {
    const now = Date.now();
    if (now - this.#lastReclaim < Math.min(RECLAIM_EVERY, this.#options.leaseDuration / 4))
      return false;
    this.#lastReclaim = now;
    return true;
  }

  /** Block on the marker until a job is added, a delayed job is due, or `pollInterval` passes. */
  #blockUntilWork(): void {
    if (this.#blocked || this.#stopped || this.#mayHaveWork || this.#host.freeSlots() === 0) return;
    let wait = this.#options.pollInterval;
    if (this.#nextDueAt > 0) wait = Math.min(wait, this.#nextDueAt - Date.now());
    if (wait <= 0) {
      this.wake();
      return;
    }
    this.#blocked = true;
    this.#waitForWork(Math.max(wait, 5)).then(
      () => this.#unblock(),
      async (error: unknown) => {
        if (!this.#stopped) {
          this.#host.onError(
            error instanceof Error ? error : new Error(String(error)),
            'waiting for jobs',
          );
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(this.#options.pollInterval, 1000)),
          );
        }
        this.#unblock();
      },
    );
  }

  #unblock(): void {
    this.#blocked = false;
    if (!this.#stopped) this.wake();
  }
}
