import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { header, parseCookies } from './http.js';

export const SESSION_COOKIE = 'rwp_dashboard';

/** Compare two secrets in constant time, whatever their lengths. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Who may use the dashboard, and which requests may change something.
 *
 * With a token, a request needs `Authorization: Bearer <token>` or the
 * session cookie that the login form sets (HttpOnly, SameSite=Strict): an
 * HMAC of the token, so it survives a restart and works across the processes
 * behind a load balancer, and a stolen cookie does not reveal the token.
 *
 * Every action is a POST that must carry the CSRF token of this dashboard in
 * `X-CSRF-Token` (the page reads it from its own `<meta>`, which another site
 * cannot), and must not come from another site by its `Sec-Fetch-Site` or
 * `Origin` headers.
 */
export class Guard {
  readonly #token: string | undefined;
  readonly #session: string | undefined;
  /** Embedded in the page, required on every action. */
  readonly csrf: string;

  constructor(token: string | undefined) {
    this.#token = token;
    this.#session = token && createHmac('sha256', token).update('session').digest('hex');
    // With a token, derived from it, so every process of a deployment accepts the same one.
    this.csrf = token
      ? createHmac('sha256', token).update('csrf').digest('hex')
      : randomBytes(32).toString('hex');
  }

  get protected(): boolean {
    return this.#token !== undefined;
  }

  /** Whether the request carries the token (or the session cookie); always, without a token. */
  authenticated(req: IncomingMessage): boolean {
    if (this.#token === undefined || this.#session === undefined) return true;
    const authorization = header(req, 'authorization');
    const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (bearer) return sameSecret(bearer, this.#token);
    const cookie = parseCookies(header(req, 'cookie')).get(SESSION_COOKIE);
    return cookie !== undefined && sameSecret(cookie, this.#session);
  }

  /** Whether `token` (from the login form) is the token. */
  accepts(token: string): boolean {
    return this.#token !== undefined && sameSecret(token, this.#token);
  }

  /** `Set-Cookie` for a signed-in browser, scoped to the dashboard's path. */
  sessionCookie(path: string, secure: boolean): string {
    return cookie(`${SESSION_COOKIE}=${this.#session ?? ''}`, path, secure, 7 * 24 * 3600);
  }

  clearCookie(path: string, secure: boolean): string {
    return cookie(`${SESSION_COOKIE}=`, path, secure, 0);
  }

  /**
   * Why a state-changing request must be refused, or `undefined` if it may
   * go on: it comes from another site, or (with `csrf`) lacks this
   * dashboard's CSRF token.
   */
  refusePost(req: IncomingMessage, { csrf }: { csrf: boolean }): string | undefined {
    const site = header(req, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') {
      return `Refused: a ${site} request (Sec-Fetch-Site) may not change anything`;
    }
    const origin = header(req, 'origin');
    if (origin !== undefined && !sameHost(origin, header(req, 'host'))) {
      return 'Refused: the request comes from another origin';
    }
    if (csrf) {
      const sent = header(req, 'x-csrf-token');
      if (!sent || !sameSecret(sent, this.csrf)) {
        return 'Refused: missing or wrong CSRF token (reload the page)';
      }
    }
    return undefined;
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function cookie(value: string, path: string, secure: boolean, maxAge: number): string {
  return [
    value,
    `Path=${path}`,
    `Max-Age=${maxAge}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
