import { duplicateClient, watchConnection, type RedisClient } from './connection.js';
import { QueueClosedError } from './errors.js';
import type { Logger } from './logger.js';
import type { QueueKeys } from './redis/keys.js';
import { JOB_FIELDS } from './redis/protocol/job-fields.js';
import {
  batchItemField,
  decodeBatchHint,
  decodeBatchItemProgress,
} from './redis/protocol/progress.js';
import { deserialize } from './serialize.js';

/** One item's progress, for `waitForBatch(id, { onItemProgress })`. */
export interface ItemProgress<P = unknown> {
  readonly index: number;
  readonly id: string;
  readonly progress: P;
}

/** A follow under way; `stop()` reads the stored values one last time, then ends it. */
export interface Following {
  stop(): Promise<void>;
}

/**
 * Follows the progress of jobs and batch items for a queue's waiters. Opens
 * its own pub/sub connection on first use only, so a queue nobody follows
 * progress on costs nothing. Pub/sub only says when to look: every value
 * handed to a caller is read from Redis (the job's hash, or the batch's), in
 * order, each one once, the latest first for a follower that joins late.
 */
export class ProgressFollower {
  readonly #source: RedisClient;
  readonly #keys: QueueKeys;
  readonly #logger: Logger;
  #subscriber: RedisClient | undefined;
  #closed = false;
  /** Listeners by channel. */
  readonly #channels = new Map<string, Set<(message: string | undefined) => void>>();

  constructor(source: RedisClient, keys: QueueKeys, logger: Logger) {
    this.#source = source;
    this.#keys = keys;
    this.#logger = logger;
  }

  #connect(): RedisClient {
    if (this.#subscriber) return this.#subscriber;
    // Pub/sub needs a connection of its own; it waits out Redis restarts.
    const subscriber = duplicateClient(this.#source, {
      maxRetriesPerRequest: null,
      lazyConnect: false,
    });
    watchConnection(subscriber, this.#logger, 'Queue');
    subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.#channels.get(channel) ?? []) listener(message);
    });
    // Messages sent while the connection was down are gone: every follower re-reads.
    let first = true;
    subscriber.on('ready', () => {
      if (first) first = false;
      else for (const set of this.#channels.values()) for (const l of set) l(undefined);
    });
    this.#subscriber = subscriber;
    return subscriber;
  }

  async #listen(
    channel: string,
    listener: (message: string | undefined) => void,
  ): Promise<() => Promise<void>> {
    if (this.#closed) throw new QueueClosedError('The queue is closed');
    const subscriber = this.#connect();
    let set = this.#channels.get(channel);
    if (!set) {
      this.#channels.set(channel, (set = new Set()));
      await subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size > 0 || this.#channels.get(channel) !== set) return;
      this.#channels.delete(channel);
      await subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  /** Call `onProgress` with job `id`'s progress: its latest value now, then each new one. */
  async followJob(id: string, onProgress: (progress: unknown) => void): Promise<Following> {
    const key = this.#keys.job(id);
    let last: string | null = null;
    const reader = new SerialReader(async () => {
      const raw = await this.#source.hget(key, JOB_FIELDS.progress);
      if (raw === null || raw === last) return;
      last = raw;
      this.#call(onProgress, deserialize(raw), 'onProgress', { jobId: id });
    });
    const unlisten = await this.#listen(this.#keys.progress(id), () => reader.read());
    reader.read();
    return { stop: () => this.#stop(unlisten, reader) };
  }

  /** Call `onItemProgress` with the progress of batch `id`'s items: the latest of each now, then each new one. */
  async followBatch(id: string, onItemProgress: (item: ItemProgress) => void): Promise<Following> {
    const key = this.#keys.batch(id);
    const last = new Map<number, string>();
    let dirty: Set<number> | 'all' = 'all';
    const emit = (index: number, raw: string | null | undefined) => {
      if (raw === null || raw === undefined || last.get(index) === raw) return;
      last.set(index, raw);
      const item = decodeBatchItemProgress({ [batchItemField(index)]: raw }).get(index);
      if (!item) return;
      const progress = { index, id: item.id, progress: deserialize(item.json) };
      this.#call(onItemProgress, progress, 'onItemProgress', { batchId: id });
    };
    const reader = new SerialReader(async () => {
      const wanted = dirty;
      dirty = new Set();
      if (wanted === 'all') {
        // Catching up: only the progress fields, not the results the hash also holds.
        const total = Number(await this.#source.hget(key, 'total'));
        if (!(total > 0)) return;
        const indexes = Array.from({ length: total }, (_, i) => i);
        const values = await this.#source.hmget(key, ...indexes.map(batchItemField));
        indexes.forEach((index) => emit(index, values[index]));
      } else if (wanted.size > 0) {
        const indexes = [...wanted].sort((a, b) => a - b);
        const values = await this.#source.hmget(key, ...indexes.map(batchItemField));
        indexes.forEach((index, i) => emit(index, values[i]));
      }
    });
    const unlisten = await this.#listen(this.#keys.batchProgress(id), (message) => {
      const hint = message === undefined ? undefined : decodeBatchHint(message);
      if (!hint) dirty = 'all';
      else if (dirty !== 'all') dirty.add(hint.index);
      reader.read();
    });
    reader.read();
    return {
      stop: () => {
        // One last look at every item, so the final values are seen before the wait ends.
        dirty = 'all';
        return this.#stop(unlisten, reader);
      },
    };
  }

  async #stop(unlisten: () => Promise<void>, reader: SerialReader): Promise<void> {
    await unlisten();
    if (!this.#closed) await reader.last();
  }

  #call<T>(callback: (value: T) => void, value: T, name: string, fields: object): void {
    try {
      callback(value);
    } catch (error) {
      this.#logger.error(
        `${name} threw: ${error instanceof Error ? error.message : String(error)}`,
        { scope: 'Queue', ...fields, ...(error instanceof Error ? { err: error } : {}) },
      );
    }
  }

  close(): void {
    this.#closed = true;
    this.#channels.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }
}

/**
 * Runs `read` one call at a time: a hint that arrives during a read makes one
 * more read after it, so values are handed out in the order Redis held them.
 */
class SerialReader {
  readonly #read: () => Promise<void>;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(read: () => Promise<void>) {
    this.#read = read;
  }

  read(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#read();
      } catch {
        // A failed read (Redis away) is retried on the next hint or reconnection.
      }
    } while (this.#again);
  }

  /** Wait for the reads under way, then read once more. */
  async last(): Promise<void> {
    while (this.#running) await this.#running;
    this.read();
    await this.#running;
  }
}
