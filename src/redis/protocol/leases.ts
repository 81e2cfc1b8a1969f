import type { QueueKeys } from '../keys.js';
import releaseScript from '../lua/release-8+.lua';
import renewScript from '../lua/renew-2+.lua';

/**
 * The two scripts on the leases of running jobs: `renew` pushes their
 * deadlines back (renew-2+.lua), `release` hands them back to `wait` when a
 * pool closes with jobs unfinished (release-8+.lua).
 */
export const renew = renewScript;
export const release = releaseScript;

/** The lease a running job holds: its id and the token its claim got. */
export interface Lease {
  readonly id: string;
  readonly token: string;
}

/**
 * A call of a script that takes a variable number of KEYS: their count, the
 * script's fixed keys, then each lease's job hash (declared: the script touches
 * it), then `argv` and each lease's id and token.
 */
function withLeases(
  keys: QueueKeys,
  fixed: readonly string[],
  argv: readonly (string | number)[],
  leases: readonly Lease[],
): (string | number)[] {
  const args: (string | number)[] = [fixed.length + leases.length, ...fixed];
  for (const { id } of leases) args.push(keys.job(id));
  args.push(...argv);
  for (const { id, token } of leases) args.push(id, token);
  return args;
}

export function encodeRenew(
  keys: QueueKeys,
  leaseDuration: number,
  leases: readonly Lease[],
): (string | number)[] {
  return withLeases(keys, [keys.active, keys.leases], [leaseDuration, keys.base], leases);
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
  const fixed = [
    keys.wait,
    keys.active,
    keys.leases,
    keys.marker,
    keys.meta,
    keys.groupRing,
    keys.groupsParked,
    keys.groupsAside,
  ];
  return withLeases(keys, fixed, [keys.base], leases);
}

/** The ids handed back (those whose lease was still held). */
export function decodeRelease(reply: unknown): string[] {
  return reply as string[];
}
