import { Redis } from 'ioredis';
import { redisUrlFromEnv } from 'redis-worker-pool';
import { CliError, UsageError } from './cli-error.js';
import type { Io } from './io.js';

/** Which Redis a command talks to, and how to name it without giving its password away. */
export interface RedisTarget {
  readonly url: string;
  /** `host:port` (`TLS host:port` for rediss://): never the user name, the password or the full URL. */
  readonly label: string;
  /** Where the URL came from, for error messages: `--redis-url`, `REDIS_URL`, `REDIS_PUBLIC_URL` or `default`. */
  readonly source: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `--redis-url`, else `REDIS_URL`, else `REDIS_PUBLIC_URL`, else a local Redis. */
export function redisTarget(flag: string | undefined, env: Io['env']): RedisTarget {
  if (flag !== undefined) {
    if (!isRedisUrl(flag)) {
      throw new UsageError(
        `Expected \`--redis-url\` to be a redis:// or rediss:// URL with a host, got ${shownUrl(flag)}`,
      );
    }
    return { url: flag, label: describeRedisUrl(flag), source: '--redis-url' };
  }
  let url: string | undefined;
  try {
    url = redisUrlFromEnv(env);
  } catch (error) {
    // The library's message names the variable and never echoes its value.
    throw new UsageError(`Bad environment variable: ${(error as Error).message}`);
  }
  if (url === undefined) {
    return {
      url: DEFAULT_REDIS_URL,
      label: describeRedisUrl(DEFAULT_REDIS_URL),
      source: 'default',
    };
  }
  const source = env.REDIS_URL !== undefined ? 'REDIS_URL' : 'REDIS_PUBLIC_URL';
  return { url, label: describeRedisUrl(url), source };
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return /^rediss?:$/.test(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** At most the scheme of a bad URL: the rest may be a password. */
function shownUrl(value: string): string {
  const scheme = /^([a-z][a-z0-9+.-]{0,15}):\/\//i.exec(value)?.[1];
  return scheme
    ? `a \`${scheme}://\` URL or one without a host`
    : 'a value that is not a URL (not shown: it may hold a password)';
}

/** `127.0.0.1:6379`, `TLS redis.example.com:6380`, `... db 2`. */
export function describeRedisUrl(value: string): string {
  try {
    const url = new URL(value);
    const db = url.pathname.replace(/^\//, '');
    return `${url.protocol === 'rediss:' ? 'TLS ' : ''}${url.hostname}:${url.port || '6379'}${
      db && db !== '0' ? ` db ${db}` : ''
    }`;
  } catch {
    return 'Redis';
  }
}

export interface ConnectOptions {
  /** Milliseconds to wait for the first connection. */
  connectTimeout?: number;
  /**
   * Keep reconnecting after the first connection is lost (`status --watch`).
   * One-shot commands fail at once instead, so they never hang.
   */
  reconnect?: boolean;
}

/** A client not connected yet (so a command can check its flags first), and how to connect it. */
export interface PendingClient {
  readonly client: Redis;
  /**
   * Connect, or fail with a message that says where (never the password) and
   * why: `connect ECONNREFUSED 127.0.0.1:1`, `WRONGPASS ...`, a timeout.
   */
  connect(): Promise<void>;
}

export function createRedisClient(
  target: RedisTarget,
  { connectTimeout = 5000, reconnect = false }: ConnectOptions = {},
): PendingClient {
  let connected = false;
  let lastError: Error | undefined;
  const client = new Redis(target.url, {
    lazyConnect: true,
    connectTimeout,
    // A command must not wait forever on a Redis that went away or hangs.
    commandTimeout: 15_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (connected && reconnect ? Math.min(times * 250, 2000) : null),
  });
  // Without a listener, ioredis prints every connection error as unhandled.
  client.on('error', (error: Error) => {
    lastError = error;
  });
  return {
    client,
    async connect() {
      // ioredis' connectTimeout ends at the TCP connection: a server (or a proxy) that
      // accepts it and never answers would hold the handshake until the command
      // timeout. One deadline for connection and handshake keeps the documented 5 s.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${formatSeconds(connectTimeout)}`)),
          connectTimeout,
        );
      });
      try {
        await Promise.race([client.connect(), deadline]);
        connected = true;
      } catch (error) {
        client.disconnect();
        // connect() itself only says "Connection is closed."; the error event says why.
        const reason = (lastError ?? (error as Error)).message;
        throw new CliError(`Could not connect to Redis at ${target.label}: ${reason}`, {
          hint: redisHint(target),
        });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `5 s`, `0.5 s`. */
function formatSeconds(ms: number): string {
  return `${ms / 1000} s`;
}

export function redisHint(target: RedisTarget): string {
  const where =
    target.source === 'default'
      ? 'No REDIS_URL is set, so the default redis://127.0.0.1:6379 was used: set REDIS_URL or pass --redis-url.'
      : `The URL came from ${target.source}.`;
  let check = '';
  try {
    const url = new URL(target.url);
    const tls = url.protocol === 'rediss:' ? ' --tls' : '';
    check = ` Try: redis-cli -h ${url.hostname} -p ${url.port || '6379'}${tls} ping`;
  } catch {
    // No command to suggest for a URL that does not parse.
  }
  return `${where} Check that Redis is running and reachable from here.${check}`;
}
