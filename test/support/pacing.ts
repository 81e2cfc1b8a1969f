// What the pacing of a cost window (src/redis/lua/includes/cost-windows.lua) promises
// about the claim times of a backlog of 1-unit jobs, for the pool's windows and a group's.
import { expect } from 'vitest';

/**
 * Claims of 1-unit jobs from a window of `max` units per `duration` ms go one per
 * (duration + 3 sub-buckets) / max ms, after at most 2 sub-buckets' share at once (a
 * window has 60 sub-buckets): the k-th claim comes at least k intervals after the first,
 * less that lead (and a ms of rounding). A slower machine only spreads them more.
 */
export function expectPacedClaims(claimTimes: number[], max: number, duration: number): void {
  const slot = Math.ceil(duration / 60);
  const ahead = 2 * slot;
  const interval = (duration + 3 * slot) / max;
  const claims = [...claimTimes].sort((a, b) => a - b);
  for (const [k, at] of claims.entries()) {
    expect(at - claims[0]!).toBeGreaterThanOrEqual(k * interval - ahead - 1);
  }
}
