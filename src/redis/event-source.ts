import { duplicateClient, watchConnection, type RedisClient } from '../connection.js';
import { RedisRefusedError } from '../errors.js';
import type { EventSource } from '../event-stream.js';
import type { Logger } from '../logger.js';
import { redactError } from '../redact.js';
import { decodeRead } from './protocol/events.js';

/** Entries per read: bounds one reply, whatever the size of the entries. */
const READ_COUNT = 100;

/**
 * Longest single wait of a read: a reader nobody follows any more goes idle
 * within this, and a read that finds nothing tells waiters catching up that
 * there was nothing left.
 */
const BLOCK_MS = 5000;

/**
 * The queue's events stream in Redis, read with `XREAD BLOCK` on a connection
 * of its own (a blocking read holds its connection), opened at the first read.
 * `tip` runs on the queue's own client.
 */
export function redisEventSource({
  client,
  key,
  tip,
  logger,
}: {
  client: RedisClient;
  /** The stream's key (ioredis adds its keyPrefix to it, as to every key). */
  key: string;
  tip: () => Promise<string>;
  logger: Logger;
}): EventSource {
  let reader: { client: RedisClient; unwatch: () => void } | undefined;
  const open = () => {
    // Waits out Redis restarts, and resends a read cut by a dropped connection
    // with the same id: it resumes where it stopped. No command timeout: a
    // blocking read is meant to take long.
    const connection = duplicateClient(client, {
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      lazyConnect: false,
    });
    return { client: connection, unwatch: watchConnection(connection, logger, 'Queue') };
  };
  return {
    async tip() {
      try {
        return await tip();
      } catch (error) {
        throw refused(error, key);
      }
    },
    async read(after) {
      reader ??= open();
      let reply: unknown;
      try {
        reply = await reader.client.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          key,
          after,
        );
      } catch (error) {
        throw refused(error, key);
      }
      return decodeRead(reply);
    },
    close() {
      if (!reader) return;
      reader.unwatch();
      reader.client.disconnect();
      reader = undefined;
    },
  };
}

/**
 * Redis said no (an ACL without `xread`, or without the queue's keys:
 * NOPERM): one clear error, Redis's own as its cause. Anything else (the
 * connection closed by `close()`) as it is, credentials scrubbed.
 */
function refused(error: unknown, key: string): unknown {
  // A read queued during a failed handshake is rejected with the AUTH command on its error.
  redactError(error);
  if (!(error instanceof Error) || error.name !== 'ReplyError') return error;
  return new RedisRefusedError(
    `Redis refused to let this queue follow its events stream \`${key}\` (a wait needs XREAD and EVALSHA on the queue's keys): ${error.message}`,
    { cause: error },
  );
}
