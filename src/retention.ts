import { checkInteger, checkKnownKeys, invalid, isPlainObject } from './validate.js';

/**
 * How long finished jobs stay in Redis: `true` removes the job as soon as it
 * finishes, `false` keeps every job forever, a number keeps that many of the
 * most recent, and `{ age, count }` keeps jobs younger than `age` **seconds**
 * and at most `count` of them (the same shape as BullMQ's option).
 */
export type KeepJobs = boolean | number | { age?: number; count?: number };

/** `-1` means "no limit"; a count of `0` means "remove at once". */
export interface ResolvedRetention {
  readonly count: number;
  readonly age: number;
}

/** Finished jobs kept by default: bounded, so Redis memory never grows without limit. */
export const DEFAULT_REMOVE_ON_COMPLETE: ResolvedRetention = Object.freeze({
  count: 1000,
  age: 24 * 3600,
});
export const DEFAULT_REMOVE_ON_FAIL: ResolvedRetention = Object.freeze({
  count: 10_000,
  age: 7 * 24 * 3600,
});

export function resolveRetention(name: string, value: unknown): ResolvedRetention {
  if (value === true) return Object.freeze({ count: 0, age: -1 });
  if (value === false) return Object.freeze({ count: -1, age: -1 });
  if (typeof value === 'number')
    return Object.freeze({ count: checkInteger(name, value, { min: 0 }), age: -1 });
  if (!isPlainObject(value)) invalid(name, '`true`, `false`, a count, or `{ age, count }`', value);
  const options = value;
  checkKnownKeys(`\`${name}\``, options, ['age', 'count']);
  return Object.freeze({
    count:
      options.count === undefined ? -1 : checkInteger(`${name}.count`, options.count, { min: 0 }),
    age: options.age === undefined ? -1 : checkInteger(`${name}.age`, options.age, { min: 0 }),
  });
}

/** The compact form stored with each job and handed to the finishing script: `count:age`. */
export function encodeRetention(retention: ResolvedRetention): string {
  return `${retention.count}:${retention.age}`;
}
