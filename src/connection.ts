import { Redis } from 'ioredis';
import type { Cluster, RedisOptions } from 'ioredis';
import { OptionTypeError } from './errors.js';
import { redactError } from './redact.js';
import { invalid, isPlainObject } from './validate.js';
import type { Logger } from './logger.js';

/** A connected ioredis client: a single server or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Where Redis is: a URL (`redis://`, `rediss://` for TLS), ioredis options, or
 * an ioredis `Redis` / `Cluster` instance. A client you pass is never closed by
 * this library; the connections it opens itself (and duplicates of yours for
 * blocking reads and pub/sub) are.
 */
export type ConnectionOption = string | RedisOptions | RedisClient;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Duck-typed, so that a client from another copy of ioredis in node_modules still counts. */
export function isRedisClient(value: unknown): value is RedisClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function' &&
    typeof (value as { defineCommand?: unknown }).defineCommand === 'function'
  );
}

export function checkConnection(name: string, value: unknown): ConnectionOption {
  if (typeof value === 'string') {
    if (!/^rediss?:\/\//i.test(value) && !/^\//.test(value)) {
      // Never echo the value: a URL may hold a password.
      throw new OptionTypeError(
        `Expected \`${name}\` to be a redis:// or rediss:// URL, ioredis options or an ioredis client, got a string that is not such a URL (not shown: it may hold a password)`,
        name,
      );
    }
    return value;
  }
  if (isRedisClient(value) || isPlainObject(value)) return value as ConnectionOption;
  return invalid(name, 'a redis:// or rediss:// URL, ioredis options or an ioredis client', value);
}

export interface ClientHandle {
  readonly client: RedisClient;
  /** Whether this library opened the connection, and so must close it. */
  readonly owned: boolean;
}

/**
 * Open (or reuse) a connection. `overrides` set what the library needs of its
 * own connections, e.g. `maxRetriesPerRequest: null` so a blocking read or a
 * report waits out a Redis restart instead of failing.
 */
export function openClient(
  connection: ConnectionOption,
  overrides: Partial<RedisOptions> = {},
  { reuse }: { reuse: boolean },
): ClientHandle {
  if (isRedisClient(connection)) {
    if (reuse) return { client: connection, owned: false };
    return { client: duplicateClient(connection, overrides), owned: true };
  }
  if (typeof connection === 'string')
    return { client: new Redis(connection, overrides), owned: true };
  return { client: new Redis({ ...connection, ...overrides }), owned: true };
}

export function duplicateClient(
  client: RedisClient,
  overrides: Partial<RedisOptions> = {},
): RedisClient {
  if (isCluster(client)) {
    // Cluster.duplicate() merges `redisOptions` with the original's: per-node settings apply to every node.
    return client.duplicate(undefined, { ...overrides, redisOptions: overrides } as never);
  }
  return (client as Redis).duplicate(overrides);
}

/**
 * The client's ioredis `keyPrefix` ('' for none): ioredis puts it before every
 * key it knows is a key, but not before script arguments, so the keys a script
 * builds must be given it (see `queueKeys()`).
 */
export function keyPrefixOf(client: RedisClient): string {
  const options = (
    client as { options?: { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } } }
  ).options;
  const prefix = options?.keyPrefix ?? options?.redisOptions?.keyPrefix;
  return typeof prefix === 'string' ? prefix : '';
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** Close a connection we own; leave the caller's alone. Never throws. */
export async function closeClient(
  handle: ClientHandle | undefined,
  { force = false } = {},
): Promise<void> {
  if (!handle?.owned) return;
  const { client } = handle;
  if (client.status === 'end') return;
  if (force || client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** `host:port` (or `cluster`), for logs: never a password, never the full URL. */
export function describeConnection(connection: ConnectionOption): string {
  try {
    if (typeof connection === 'string') {
      if (connection.startsWith('/')) return connection;
      const url = new URL(connection);
      return `${url.protocol === 'rediss:' ? 'TLS ' : ''}${url.hostname}:${url.port || '6379'}`;
    }
    if (isRedisClient(connection)) {
      if (isCluster(connection)) return 'Redis Cluster';
      const { host, port } = (connection as Redis).options;
      return `${host ?? '127.0.0.1'}:${port ?? 6379}`;
    }
    return `${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
  } catch {
    return 'Redis';
  }
}

type ConnectionLog = Pick<Logger, 'warn' | 'info'>;

/**
 * Outages seen by the clients of one owner (a pool's command and blocking
 * connections, a queue's client and subscriber), keyed by logger, scope and
 * server: the clients of one owner lose the same Redis together, and that is
 * one outage, logged once, not once per connection.
 */
const outages = new WeakMap<object, Map<string, Set<RedisClient>>>();

function outageGroup(log: ConnectionLog, scope: string, client: RedisClient): Set<RedisClient> {
  let byKey = outages.get(log);
  if (!byKey) outages.set(log, (byKey = new Map()));
  const key = `${scope} ${isCluster(client) ? 'cluster' : describeConnection(client)}`;
  let group = byKey.get(key);
  if (!group) byKey.set(key, (group = new Set()));
  return group;
}

/**
 * Attach the `error` listener every ioredis client needs (without one, Node
 * prints each reconnection error as unhandled) and report outages once each
 * (`onError` and a log line for the first error, a log line for the recovery)
 * rather than once per reconnection attempt or per connection of the same owner.
 */
export function watchConnection(
  client: RedisClient,
  log: Pick<Logger, 'warn' | 'info'>,
  scope: string,
  onError?: (error: Error) => void,
): () => void {
  const down = outageGroup(log, scope, client);
  const handleError = (error: Error) => {
    // Every error, not only the first: ioredis rejects the commands queued meanwhile with
    // this same object, so scrubbing it here (in place) cleans those rejections too.
    redactError(error);
    if (down.has(client)) return;
    const first = down.size === 0;
    down.add(client);
    if (!first) return;
    log.warn(`Redis connection error: ${error.message}; reconnecting...`, { scope, err: error });
    onError?.(error);
  };
  const handleReady = () => {
    if (!down.delete(client)) return;
    if (down.size === 0) log.info('Redis connection restored.', { scope });
  };
  // A closed client is no longer part of an outage (it must not hide the next one).
  const handleEnd = () => void down.delete(client);
  client.on('error', handleError);
  client.on('ready', handleReady);
  client.on('end', handleEnd);
  return () => {
    client.off('ready', handleReady);
    client.off('end', handleEnd);
    down.delete(client);
    // Keep a no-op error listener: a late error on a closing socket must not become an unhandled 'error'.
    client.off('error', handleError);
    client.on('error', () => {});
  };
}

/** Resolve when the client is ready; reject with its first error (a wrong URL or password should fail loudly at start). */
export function waitUntilReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      // It becomes the `cause` of ERR_REDIS_UNAVAILABLE: no password on it (HELLO/AUTH args).
      reject(redactError(error));
    };
    const cleanup = () => {
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}
