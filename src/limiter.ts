import { OptionRangeError } from './errors.js';
import { MAX_COST, MAX_TIMER_MS } from './job-options.js';
import { checkInteger, checkKnownKeys, checkObject, describeValue } from './validate.js';

/**
 * One window of a pool's `limiter`: at most `max` units in any window of
 * `duration` ms, across every pool and process of the queue.
 */
export interface LimiterWindow {
  /** Most units (job starts, or cost units with `by: 'cost'`) in any window. */
  max: number;
  /** The window's length, ms. */
  duration: number;
  /**
   * What the window counts: `'jobs'`, the jobs started; `'cost'`, the cost
   * units of the jobs started (`add(..., { cost })`, settled by
   * `ctx.reportCost(n)`), for a tokens-per-minute budget.
   * @default 'jobs'
   */
  by?: 'jobs' | 'cost';
}

/** A window as the claim script enforces it. */
export interface LimitWindow {
  readonly max: number;
  readonly duration: number;
}

/** A pool's windows, by what they count; both empty for no limit. */
export interface ResolvedLimiter {
  readonly jobs: readonly LimitWindow[];
  readonly cost: readonly LimitWindow[];
}

export const NO_LIMITER: ResolvedLimiter = Object.freeze({
  jobs: Object.freeze([]),
  cost: Object.freeze([]),
});

/** Job starts per window are counted one entry per start: this bounds that set. */
const MAX_JOBS_PER_WINDOW = 1_000_000;

/** The `limiter` option: one window or an array of windows. */
export function resolveLimiter(value: unknown, name = 'limiter'): ResolvedLimiter {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (Array.isArray(value) && list.length === 0) {
    throw new OptionRangeError(
      `Expected \`${name}\` to be a window or a non-empty array of windows, got ${describeValue(value)}`,
      name,
    );
  }
  const jobs: LimitWindow[] = [];
  const cost: LimitWindow[] = [];
  list.forEach((item, i) => {
    const where = Array.isArray(value) ? `${name}[${i}]` : name;
    const o = checkObject(where, item);
    checkKnownKeys(`\`${where}\``, o, ['max', 'duration', 'by']);
    if (o.by !== undefined && o.by !== 'jobs' && o.by !== 'cost') {
      throw new OptionRangeError(
        `Expected \`${where}.by\` to be 'jobs' or 'cost', got ${describeValue(o.by)}`,
        `${where}.by`,
      );
    }
    const byCost = o.by === 'cost';
    const window = Object.freeze({
      max: checkInteger(`${where}.max`, o.max, {
        min: 1,
        max: byCost ? MAX_COST : MAX_JOBS_PER_WINDOW,
      }),
      duration: checkInteger(`${where}.duration`, o.duration, { min: 1, max: MAX_TIMER_MS }),
    });
    (byCost ? cost : jobs).push(window);
  });
  return Object.freeze({ jobs: Object.freeze(jobs), cost: Object.freeze(cost) });
}
