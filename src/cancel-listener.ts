import { duplicateClient, watchConnection, type RedisClient } from './connection.js';
import type { Logger } from './logger.js';
import { decodeMessage, type CancelMessage } from './redis/protocol/cancel.js';

/**
 * A pool's ear for `queue.cancel()`: a pub/sub connection of its own on the
 * queue's cancel channel, so a running job's signal aborts within moments of
 * the cancel, whichever process sent it. A message missed while the connection
 * was down is made up for by the next lease renewal, which finds the lease gone.
 */
export class CancelListener {
  readonly #subscriber: RedisClient;
  readonly #channel: string;

  constructor(
    source: RedisClient,
    channel: string,
    logger: Logger,
    onCancel: (message: CancelMessage) => void,
    onConnectionError?: (error: Error) => void,
  ) {
    this.#channel = channel;
    this.#subscriber = duplicateClient(source, { maxRetriesPerRequest: null, lazyConnect: false });
    watchConnection(this.#subscriber, logger, 'Worker Pool', onConnectionError);
    this.#subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      const cancel = decodeMessage(message);
      if (cancel) onCancel(cancel);
    });
  }

  /** Resolves once subscribed. */
  async start(): Promise<void> {
    await this.#subscriber.subscribe(this.#channel);
  }

  close(): void {
    this.#subscriber.disconnect();
  }
}
