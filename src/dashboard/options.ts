import { OptionRangeError, type ConnectionOptions } from '../index.js';
import {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkObject,
  checkString,
  invalid,
} from '../validate.js';

/** What `createDashboard()` takes. */
export interface DashboardOptions extends ConnectionOptions {
  /** The queues to show, by name (at least one). A single name may be given as a string. */
  queues: string | readonly string[];
  /**
   * Show everything, change nothing: no action buttons on the page, and the
   * server refuses every action request with 403.
   * @default false
   */
  readOnly?: boolean;
  /**
   * A shared secret every request must carry: `Authorization: Bearer <token>`,
   * or the cookie set by the dashboard's login form. At least 16 characters.
   * Without it, anyone who can reach the handler can use the dashboard, so
   * only leave it out when the handler is reachable from this machine alone
   * or sits behind your own authentication.
   * @default undefined (no token)
   */
  token?: string;
  /**
   * The path the dashboard is served under when the server hands it the full
   * URL (`node:http`, Fastify): `'/admin/queues'`. Leave it out under Express'
   * `app.use('/admin/queues', dashboard)`, which strips the prefix itself.
   * @default ''
   */
  basePath?: string;
  /**
   * Milliseconds between two live updates (counts, pools, throughput) sent to
   * an open page.
   * @default 1000
   */
  refreshInterval?: number;
}

export interface ResolvedDashboardOptions {
  readonly connection: ConnectionOptions['connection'];
  readonly prefix: string | undefined;
  readonly logger: ConnectionOptions['logger'];
  readonly queues: readonly string[];
  readonly readOnly: boolean;
  readonly token: string | undefined;
  readonly basePath: string;
  readonly refreshInterval: number;
}

const KNOWN = [
  'connection',
  'prefix',
  'logger',
  'queues',
  'readOnly',
  'token',
  'basePath',
  'refreshInterval',
];

/** Check every option at once, so a mistake is reported before anything connects. */
export function resolveDashboardOptions(options: unknown): ResolvedDashboardOptions {
  const o = checkObject('options', options);
  checkKnownKeys('createDashboard options', o, KNOWN);
  const queues = typeof o.queues === 'string' ? [o.queues] : o.queues;
  if (
    !Array.isArray(queues) ||
    queues.length === 0 ||
    queues.some((q) => typeof q !== 'string' || q === '')
  ) {
    invalid('queues', 'a queue name or a non-empty array of queue names', o.queues);
  }
  const token = o.token === undefined ? undefined : checkString('token', o.token);
  if (token !== undefined && token.length < 16) {
    // Never echo the value: it is a secret.
    throw new OptionRangeError(
      `Expected \`token\` to be a string of at least 16 characters, got one of ${token.length} (not shown: it is a secret)`,
      'token',
    );
  }
  return {
    connection: o.connection as ConnectionOptions['connection'],
    prefix: o.prefix as string | undefined,
    logger: o.logger as ConnectionOptions['logger'],
    queues: [...new Set(queues as string[])],
    readOnly: o.readOnly === undefined ? false : checkBoolean('readOnly', o.readOnly),
    token,
    basePath: o.basePath === undefined ? '' : checkBasePath(o.basePath),
    refreshInterval:
      o.refreshInterval === undefined
        ? 1000
        : checkInteger('refreshInterval', o.refreshInterval, { min: 100, max: 60_000 }),
  };
}

/** `'/admin/queues/'` → `'/admin/queues'`; `'/'` → `''`. */
function checkBasePath(value: unknown): string {
  const path = checkString('basePath', value, { nonEmpty: false });
  if (path !== '' && !/^\/[\w\-./~%]*$/.test(path)) {
    invalid('basePath', "a path starting with '/' (letters, digits, - _ . ~ % /)", value, {
      range: true,
    });
  }
  return path.replace(/\/+$/, '');
}
