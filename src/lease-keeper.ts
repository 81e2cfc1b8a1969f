import type { Logger } from './logger.js';
import type { Lease, LostLease } from './redis/protocol/leases.js';

/** The scripts on leases (see src/redis/protocol/leases.ts). */
export interface LeaseScripts {
  /** Push the deadlines back; returns the leases that are lost. */
  renew(leaseDuration: number, leases: readonly Lease[]): Promise<LostLease[]>;
  /** Hand jobs back to `waiting`; returns the ids handed back. */
  release(leases: readonly Lease[]): Promise<string[]>;
}

/** Whose leases are kept: the jobs running now. */
export interface LeaseHolder {
  leases(): Lease[];
  /** The lease of `token` is gone (`cancelled`: its job was cancelled). */
  loseLease(token: string, cancelled: boolean): void;
}

export interface LeaseKeeperOptions {
  leaseDuration: number;
  logger: Logger;
  onError(error: unknown, context: string): void;
}

/**
 * Keeps the leases of running jobs alive: renews them every third of the
 * lease duration (so two renewals can fail before one runs out), tells the
 * holder which it lost, and hands leases back when the pool closes.
 */
export class LeaseKeeper {
  readonly #scripts: LeaseScripts;
  readonly #holder: LeaseHolder;
  readonly #options: LeaseKeeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #renewing = false;

  constructor(scripts: LeaseScripts, holder: LeaseHolder, options: LeaseKeeperOptions) {
    this.#scripts = scripts;
    this.#holder = holder;
    this.#options = options;
  }

  start(): void {
    this.#timer ??= setInterval(
      () => void this.renew(),
      Math.max(10, Math.floor(this.#options.leaseDuration / 3)),
    );
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Push back the deadlines of every running job; those whose lease is gone are told to stop. */
  async renew(): Promise<void> {
    if (this.#renewing) return;
    const leases = this.#holder.leases();
    if (leases.length === 0) return;
    this.#renewing = true;
    try {
      const lost = await this.#scripts.renew(this.#options.leaseDuration, leases);
      for (const { token, cancelled } of lost) this.#holder.loseLease(token, cancelled);
    } catch (error) {
      this.#options.onError(error, 'renewing leases');
    } finally {
      this.#renewing = false;
    }
  }

  /** Hand `leases` back to `waiting` at once, instead of leaving them to expire. */
  async release(leases: readonly Lease[]): Promise<void> {
    try {
      const released = await this.#scripts.release(leases);
      this.#options.logger.info(`Handed ${released.length} unfinished jobs back to the queue.`, {
        scope: 'Worker Pool',
        jobIds: released,
      });
    } catch (error) {
      this.#options.onError(error, 'handing jobs back');
    }
  }
}
