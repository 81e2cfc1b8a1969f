// The controller behind `concurrency: { min, max }`: how many jobs a pool runs
// at once, learned from what its attempts see. Pure: no timers, no Redis, no
// clock of its own (every sample says when it happened), so it is unit-tested
// alone and the pool only feeds it samples and reads `limit`.

/** `concurrency: { min, max }`: the bounds an adaptive pool stays within. */
export interface ConcurrencyRange {
  /** Fewest jobs run at once; the pool starts here. @default 1 */
  readonly min: number;
  /** Most jobs run at once. */
  readonly max: number;
}

/**
 * Why an adaptive pool changed its concurrency:
 * - `rateLimited`: a handler threw a `RateLimitError` (a 429): cut.
 * - `timeout`: an attempt hit its timeout: cut.
 * - `latency`: answers got much slower than usual (the server is queueing): cut.
 * - `healthy`: answers come at their usual latency while jobs wait: raised.
 */
export type ConcurrencyChangeReason = 'rateLimited' | 'timeout' | 'latency' | 'healthy';

/** The payload of a pool's `concurrency` event. */
export interface ConcurrencyChange {
  readonly from: number;
  readonly to: number;
  readonly reason: ConcurrencyChangeReason;
}

/** What one finished attempt tells the controller. */
export interface AttemptSample {
  /** `failed`: any other error; it says nothing about load and changes nothing. */
  readonly outcome: 'ok' | 'rateLimited' | 'timeout' | 'failed';
  /** When the attempt started (ms, the same clock as `now`). */
  readonly startedAt: number;
  /** When it ended (ms). */
  readonly now: number;
  /**
   * Whether the limit was what held the pool back while the attempt ran: the
   * queue did not run dry since it started. Without that, a higher limit
   * would have nothing to run (no backlog), so it is not raised.
   */
  readonly saturated: boolean;
}

/**
 * Slow start adds this per answer: the limit grows by half each round of
 * answers, so an overload finds it at most 50 % above the server's limit
 * (doubling, as TCP does, overshot by up to 100 %: a burst of 429s).
 */
const SLOW_START_STEP = 0.5;
/** Multiplicative cut after an overload (a 429 or a timeout) once past slow start. */
const BACKOFF = 0.8;
/** Cut when answers are slow (a gentler signal than a 429). */
const LATENCY_BACKOFF = 0.9;
/** Short-term latency above this multiple of the long-term one means the server is queueing. */
const TOLERANCE = 2;
/** Smoothing of the short-term (about 10 answers) and long-term (about 100) latency averages. */
const SHORT_WEIGHT = 0.1;
const LONG_WEIGHT = 0.01;
/** Answers seen before latency may cut: one slow answer on a cold start says little. */
const WARM_UP = 10;
/** Most rounds spent probing one step above a limit that was hit before. */
const MAX_CAUTION = 16;

/**
 * Additive increase, multiplicative decrease (TCP's congestion control, per
 * job instead of per packet), with a latency check in the style of Netflix's
 * Gradient2:
 *
 * - **Slow start**: from `min`, +0.5 for each answer while every slot is
 *   busy, so the limit grows by half each round of answers, until the first
 *   overload, which takes it back by that half.
 * - **Overload** (`RateLimitError`, timeout): the limit is cut to 80 %, once
 *   per round: attempts that started before the last cut were sent under the
 *   old limit and say nothing about the new one, so they are ignored.
 * - **Growth**: +1 per round of healthy answers (+1/limit each) while jobs
 *   wait. Just below the level where the last overload came, each step takes
 *   2, 4, ... 16 rounds (doubling each time an overload comes back at the
 *   same level): a server whose limit never moves is probed ever more
 *   rarely, so few 429s are spent on it; once the limit passes that level
 *   without an overload, growth is +1 per round again.
 * - **Latency**: a short-term average of answer times above twice the
 *   long-term one cuts to 90 % (once per round); an answer slower than twice
 *   the long-term average does not raise the limit.
 */
export class AdaptiveConcurrency {
  readonly min: number;
  readonly max: number;
  /** Fractional: additive increase adds 1/limit per answer. */
  #limit: number;
  #slowStart = true;
  /** The limit at the last overload; undefined once the limit grew past it. */
  #overloadAt: number | undefined;
  /** Rounds per step while probing just below `#overloadAt`. */
  #caution = 1;
  #lastCutAt = Number.NEGATIVE_INFINITY;
  #short = 0;
  #long = 0;
  #answers = 0;

  constructor({ min, max }: ConcurrencyRange) {
    this.min = min;
    this.max = max;
    this.#limit = min;
  }

  /** Jobs the pool may run at once now. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** Take in one finished attempt; returns the change it caused, if any. */
  observe(sample: AttemptSample): ConcurrencyChange | undefined {
    const from = this.limit;
    switch (sample.outcome) {
      case 'rateLimited':
      case 'timeout':
        if (sample.startedAt < this.#lastCutAt) return undefined;
        this.#overload(sample.now);
        return this.#change(from, sample.outcome);
      case 'ok':
        return this.#answer(sample, from);
      default:
        return undefined;
    }
  }

  #overload(now: number): void {
    const at = this.limit;
    const again = this.#overloadAt !== undefined && Math.abs(at - this.#overloadAt) <= 1;
    this.#caution = again ? Math.min(this.#caution * 2, MAX_CAUTION) : 2;
    this.#overloadAt = at;
    // In slow start the limit grew by half in the last round: back to where it was.
    this.#cut(this.#slowStart ? 1 / (1 + SLOW_START_STEP) : BACKOFF, now);
  }

  #cut(factor: number, now: number): void {
    this.#slowStart = false;
    this.#lastCutAt = now;
    this.#limit = Math.max(this.min, Math.floor(this.#limit * factor));
  }

  #answer(sample: AttemptSample, from: number): ConcurrencyChange | undefined {
    const latency = Math.max(0, sample.now - sample.startedAt);
    if (this.#answers++ === 0) {
      this.#short = latency;
      this.#long = latency;
    } else {
      this.#short += (latency - this.#short) * SHORT_WEIGHT;
      this.#long += (latency - this.#long) * LONG_WEIGHT;
    }
    if (
      this.#answers > WARM_UP &&
      this.#short > this.#long * TOLERANCE &&
      sample.startedAt >= this.#lastCutAt
    ) {
      this.#cut(LATENCY_BACKOFF, sample.now);
      return this.#change(from, 'latency');
    }
    if (!sample.saturated || this.#limit >= this.max || latency > this.#long * TOLERANCE) {
      return undefined;
    }
    if (this.#slowStart) {
      this.#limit += SLOW_START_STEP;
    } else {
      let step = 1 / this.limit;
      if (this.#overloadAt !== undefined && this.limit + 1 >= this.#overloadAt)
        step /= this.#caution;
      this.#limit += step;
    }
    this.#limit = Math.min(this.#limit, this.max);
    if (this.#overloadAt !== undefined && this.limit > this.#overloadAt) {
      this.#overloadAt = undefined;
      this.#caution = 1;
    }
    return this.#change(from, 'healthy');
  }

  #change(from: number, reason: ConcurrencyChangeReason): ConcurrencyChange | undefined {
    const to = this.limit;
    return to === from ? undefined : { from, to, reason };
  }
}
