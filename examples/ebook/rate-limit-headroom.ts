/**
 * What the model API says is left of its rate limits, to slow down before a
 * 429 instead of after one. OpenAI sends with every answer (a 429 included)
 * `x-ratelimit-remaining-requests` / `x-ratelimit-remaining-tokens` and
 * `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` (how long until
 * that limit is back to full: `1s`, `6m0s`, `120ms`). The page handler keeps
 * the latest figures of its process and asks before each request: when the
 * request would not fit in what is left, it waits out the reset (by throwing a
 * `RateLimitError`: every pool of the queue waits, the page goes back without
 * spending an attempt) instead of spending a request on a 429. Servers that
 * send none of these headers change nothing.
 */

interface Left {
  left: number;
  resetAt: number;
}

export class RateLimitHeadroom {
  #requests: Left | undefined;
  #tokens: Left | undefined;

  /** Take in the `x-ratelimit-*` headers of an answer that arrived at `now`. */
  update(headers: Headers | undefined, now = Date.now()): void {
    if (!headers) return;
    this.#requests = read(headers, 'requests', now) ?? this.#requests;
    this.#tokens = read(headers, 'tokens', now) ?? this.#tokens;
  }

  /**
   * Ms to wait before a request estimated at `tokens` (prompt plus
   * `max_tokens`, as OpenAI counts it), or 0 to send it now, in which case it
   * is counted against what is left, so the other requests of this process
   * that start before the next answer see less.
   */
  reserve(tokens: number, now = Date.now()): number {
    const wait = Math.max(waitFor(this.#requests, 1, now), waitFor(this.#tokens, tokens, now));
    if (wait > 0) return wait;
    if (this.#requests && now < this.#requests.resetAt) this.#requests.left -= 1;
    if (this.#tokens && now < this.#tokens.resetAt) this.#tokens.left -= tokens;
    return 0;
  }
}

function waitFor(limit: Left | undefined, need: number, now: number): number {
  return limit && now < limit.resetAt && limit.left < need ? limit.resetAt - now : 0;
}

function read(headers: Headers, kind: 'requests' | 'tokens', now: number): Left | undefined {
  const left = Number(headers.get(`x-ratelimit-remaining-${kind}`) ?? Number.NaN);
  const reset = parseResetDuration(headers.get(`x-ratelimit-reset-${kind}`) ?? '');
  if (!Number.isFinite(left) || left < 0 || reset === undefined) return undefined;
  return { left, resetAt: now + reset };
}

/**
 * OpenAI's reset durations in ms: `1s`, `6m0s`, `1h2m3.5s`, `120ms`; `undefined`
 * for anything else (a header this code does not understand is ignored, not guessed).
 */
export function parseResetDuration(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(
    text.trim(),
  );
  if (!match || !text.trim()) return undefined;
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  return Math.ceil(Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(ms));
}
