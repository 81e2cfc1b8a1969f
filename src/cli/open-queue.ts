import type { Redis } from 'ioredis';
import { Queue } from 'redis-worker-pool';
import { stringFlag, type ParsedArgs } from './args.js';
import { DEFAULT_QUEUE } from './command.js';
import type { Io } from './io.js';
import { optionError } from './option-errors.js';
import { createRedisClient, redisTarget, type RedisTarget } from './redis-target.js';

/** A queue opened for one command, on a client of the CLI's own. */
export interface OpenQueue {
  readonly queue: Queue;
  readonly client: Redis;
  readonly target: RedisTarget;
  readonly name: string;
  readonly prefix: string;
  close(): Promise<void>;
}

/**
 * Open the queue named by `--queue`, `--prefix` and `--redis-url`. The names
 * are checked before anything connects, so a bad flag exits with 2 at once.
 */
export async function openQueue(
  args: ParsedArgs,
  io: Io,
  { reconnect = false }: { reconnect?: boolean } = {},
): Promise<OpenQueue> {
  const target = redisTarget(stringFlag(args, 'redis-url'), io.env);
  const name = stringFlag(args, 'queue') ?? DEFAULT_QUEUE;
  const prefix = stringFlag(args, 'prefix') ?? 'rwp';
  const pending = createRedisClient(target, { reconnect });
  let queue: Queue;
  try {
    // The client is passed in, so the Queue never closes it and uses its fail-fast settings.
    queue = new Queue(name, { connection: pending.client, prefix, logger: false });
  } catch (error) {
    pending.client.disconnect();
    throw optionError(error);
  }
  await pending.connect();
  return {
    queue,
    client: pending.client,
    target,
    name,
    prefix,
    async close() {
      await queue.close();
      await pending.client.quit().catch(() => pending.client.disconnect());
    },
  };
}

/** Open the queue, run `fn`, and close the queue whatever happens. */
export async function withQueue<T>(
  args: ParsedArgs,
  io: Io,
  fn: (open: OpenQueue) => Promise<T>,
): Promise<T> {
  const open = await openQueue(args, io);
  try {
    return await fn(open);
  } finally {
    await open.close();
  }
}

/** Now on the Redis clock (ms), which every timestamp of a job is on. */
export async function redisNow(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
