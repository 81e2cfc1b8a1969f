import {
  compareIds,
  topicsOf,
  type QueueEvent,
  type StreamEntry,
  type Topic,
} from './redis/protocol/events.js';

/**
 * Where an `EventStream` reads from: the queue's events stream in Redis (see
 * `redisEventSource`), or a fake in unit tests.
 */
export interface EventSource {
  /** The id of the stream's last entry now (`0-0` when it is empty). */
  tip(): Promise<string>;
  /**
   * The entries after `after`, in order; waits a while for the first one and
   * returns `[]` if none came. Rejects when Redis refuses the read (NOPERM).
   */
  read(after: string): Promise<StreamEntry[]>;
  /** Let go of the connection; a read under way rejects. */
  close(): void;
}

/**
 * After the last follower leaves, keep reading this long before going idle, so
 * a process that waits for one job after another does not fetch the stream's
 * tip again for each.
 */
const LINGER_MS = 2000;

/**
 * Follows the queue's events stream for the waits of one `Queue`, on one
 * connection, and hands each event to the followers of its job and batch.
 *
 * A follower gets every entry after its position: the entry the reader had
 * reached when it subscribed. So a wait subscribes first, then reads the job:
 * whatever finishes after that read is in an entry after the follower's
 * position, and nothing sent in between is missed. The reader runs only while
 * someone follows; it starts from the stream's tip, and a dropped connection
 * resumes where it stopped (ioredis sends the read again, with the same id).
 */
export class EventStream {
  readonly #open: () => EventSource;
  #source: EventSource | undefined;
  #state: 'idle' | 'starting' | 'running' | 'closed' = 'idle';
  #starting: Promise<void> | undefined;
  /** The id of the last entry read (while running). */
  #position = '0-0';
  #lastLeft = 0;
  #closedWith: { error: unknown } | undefined;
  readonly #followers = new Map<Topic, Set<Follower>>();
  readonly #catchUps = new Set<{ id: string; resolve: () => void; reject: (e: unknown) => void }>();

  /** `open` creates the source the first time it is needed, and again after a failure. */
  constructor(open: () => EventSource) {
    this.#open = open;
  }

  /** Start following `topic`: every event about it from now on is handed to the follower. */
  async follow(topic: Topic): Promise<Follower> {
    if (this.#closedWith) throw this.#closedWith.error;
    // Registered before the reader starts, so that a failure to start reaches it too.
    const follower = new Follower(topic, this);
    let set = this.#followers.get(topic);
    if (!set) this.#followers.set(topic, (set = new Set()));
    set.add(follower);
    try {
      await this.#start();
    } catch (error) {
      follower.close();
      throw error;
    }
    return follower;
  }

  /** @internal Called by `Follower.close()`. */
  unfollow(follower: Follower): void {
    const set = this.#followers.get(follower.topic);
    if (!set?.delete(follower)) return;
    if (set.size === 0) this.#followers.delete(follower.topic);
    this.#lastLeft = Date.now();
  }

  /**
   * Resolves once every entry up to `id` has been handed out (or a read found
   * nothing newer, so there was nothing left to hand out).
   */
  caughtUp(id: string): Promise<void> {
    if (this.#state === 'running' && compareIds(this.#position, id) >= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#catchUps.add({ id, resolve, reject });
    });
  }

  get #followed(): boolean {
    return this.#followers.size > 0;
  }

  #start(): Promise<void> {
    if (this.#closedWith) return Promise.reject(this.#closedWith.error);
    if (this.#state === 'running') return Promise.resolve();
    if (this.#starting) return this.#starting;
    this.#state = 'starting';
    this.#source ??= this.#open();
    const source = this.#source;
    this.#starting = source.tip().then(
      (tip) => {
        this.#starting = undefined;
        if (this.#state !== 'starting') return;
        this.#state = 'running';
        this.#position = tip;
        void this.#run(source);
      },
      (error: unknown) => {
        this.#starting = undefined;
        if (this.#state === 'starting') this.#fail(error);
        throw error;
      },
    );
    return this.#starting;
  }

  async #run(source: EventSource): Promise<void> {
    while (this.#state === 'running' && this.#source === source) {
      let entries: StreamEntry[];
      try {
        entries = await source.read(this.#position);
      } catch (error) {
        // Closed by us (close(), or a failure already handled): nothing to report.
        if (this.#source === source && this.#state === 'running') this.#fail(error);
        return;
      }
      if (this.#source !== source || this.#state !== 'running') return;
      for (const entry of entries) this.#dispatch(entry);
      this.#settleCatchUps(entries.length === 0);
      if (
        !this.#followed &&
        this.#catchUps.size === 0 &&
        Date.now() - this.#lastLeft >= LINGER_MS
      ) {
        // Nobody follows: stop reading. The next follower starts again from the tip.
        this.#state = 'idle';
        return;
      }
    }
  }

  #dispatch(entry: StreamEntry): void {
    for (const event of entry.events) {
      for (const topic of topicsOf(event)) {
        for (const follower of this.#followers.get(topic) ?? []) follower.push(event);
      }
    }
    this.#position = entry.id;
  }

  #settleCatchUps(all: boolean): void {
    for (const catchUp of this.#catchUps) {
      if (all || compareIds(this.#position, catchUp.id) >= 0) {
        this.#catchUps.delete(catchUp);
        catchUp.resolve();
      }
    }
  }

  /**
   * Redis refused to read (NOPERM, the key is not a stream): tell every
   * follower once, close the connection, and let the next follower try again.
   */
  #fail(error: unknown): void {
    this.#state = 'idle';
    this.#source?.close();
    this.#source = undefined;
    for (const set of this.#followers.values()) for (const follower of set) follower.fail(error);
    this.#followers.clear();
    for (const catchUp of this.#catchUps) catchUp.reject(error);
    this.#catchUps.clear();
  }

  /** Stop reading and close the connection. Followers left get `error`. */
  close(error: unknown): void {
    if (this.#closedWith) return;
    this.#closedWith = { error };
    this.#fail(error);
    this.#state = 'closed';
  }
}

/**
 * One wait's view of the stream: the events about its topic since it began,
 * and a way to sleep until there are more.
 */
export class Follower {
  readonly topic: Topic;
  readonly #stream: EventStream;
  #events: QueueEvent[] = [];
  #error: { error: unknown } | undefined;
  /** Something came (or failed) since the last `changed()` resolved. */
  #pending = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(topic: Topic, stream: EventStream) {
    this.topic = topic;
    this.#stream = stream;
  }

  /** @internal */
  push(event: QueueEvent): void {
    this.#events.push(event);
    this.#signal();
  }

  /** @internal */
  fail(error: unknown): void {
    this.#error ??= { error };
    this.#signal();
  }

  #signal(): void {
    this.#pending = true;
    this.#wake?.();
  }

  /** The events that came since the last call, oldest first. Throws if the stream failed. */
  take(): QueueEvent[] {
    if (this.#error) throw this.#error.error;
    const events = this.#events;
    this.#events = [];
    return events;
  }

  /**
   * Resolves when events came since it last resolved (at once if some are
   * waiting), or after `ms` without any, whichever is first. Rejects if the
   * stream failed.
   */
  changed(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#wake = undefined;
        this.#pending = false;
        if (this.#error) reject(this.#error.error);
        else resolve();
      };
      clearTimeout(this.#timer);
      this.#timer = setTimeout(done, ms);
      this.#wake = done;
      if (this.#pending) done();
    });
  }

  /** Resolves once the stream has handed out every entry up to `id`. */
  caughtUp(id: string): Promise<void> {
    if (this.#error) return Promise.reject(this.#error.error);
    return this.#stream.caughtUp(id);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake = undefined;
    this.#stream.unfollow(this);
  }
}
