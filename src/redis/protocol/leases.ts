import type { QueueKeys } from '../keys.js';
import releaseScript from '../lua/release-4.lua';
import renewScript from '../lua/renew-2.lua';

/**
 * The two scripts on the leases of running jobs: `renew` pushes their
 * deadlines back (renew-2.lua), `release` hands them back to `wait` when a
 * pool closes with jobs unfinished (release-4.lua).
 */
export const renew = renewScript;
export const release = releaseScript;

/** The lease a running job holds: its id and the token its claim got. */
export interface Lease {
  readonly id: string;
  readonly token: string;
}

function pushLeases(args: (string | number)[], leases: readonly Lease[]): (string | number)[] {
  for (const { id, token } of leases) args.push(id, token);
  return args;
}

export function encodeRenew(
  keys: QueueKeys,
  leaseDuration: number,
  leases: readonly Lease[],
): (string | number)[] {
  return pushLeases([keys.active, keys.leases, leaseDuration, keys.base], leases);
}

/** A lease that renewal found gone: taken over, reclaimed, removed, or its job cancelled. */
export interface LostLease {
  readonly token: string;
  readonly cancelled: boolean;
}

export function decodeRenew(reply: unknown): LostLease[] {
  return (reply as string[]).map((value) =>
    value.startsWith('c:')
      ? { token: value.slice(2), cancelled: true }
      : { token: value, cancelled: false },
  );
}

export function encodeRelease(keys: QueueKeys, leases: readonly Lease[]): (string | number)[] {
  return pushLeases([keys.wait, keys.active, keys.leases, keys.marker, keys.base], leases);
}

/** The ids handed back (those whose lease was still held). */
export function decodeRelease(reply: unknown): string[] {
  return reply as string[];
}
