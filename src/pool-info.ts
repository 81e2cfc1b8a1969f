// What a pool says of itself in its heartbeat: written by the pool, read by
// `queue.getPools()`. A file of its own, so the producer side reads it without
// importing the pool.

/** A running pool, as `queue.getPools()` reports it. */
export interface PoolInfo {
  readonly id: string;
  readonly hostname: string;
  readonly pid: number;
  /** Jobs it may run at once: fixed, or an adaptive pool's figure at its last heartbeat. */
  readonly concurrency: number;
  /** An adaptive pool's bounds (`concurrency: { min, max }`); absent for a fixed pool. */
  readonly minConcurrency?: number;
  readonly maxConcurrency?: number;
  /** Jobs it was running at its last heartbeat. */
  readonly active: number;
  readonly paused: boolean;
  /** When it started (its own clock, ms). */
  readonly startedAt: number;
  readonly heartbeatInterval: number;
}
