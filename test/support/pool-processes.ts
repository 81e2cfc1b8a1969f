/**
 * The parent half of the process harness: forks a child (the pool fixture,
 * test/fixtures/pool-process.mjs, or a benchmark's child), collects what it
 * reports over IPC, waits for a message, and stops or kills it by pid. The
 * child half, test/support/child.mjs, exits when its parent dies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The pool fixture: a `WorkerPool` on the built package in a process of its own. */
export const POOL_PROCESS = join(import.meta.dirname, '..', 'fixtures', 'pool-process.mjs');

/** A message from a child; every one carries the pid of the process that sent it. */
export interface ChildMessage {
  type: string;
  pid: number;
}

/** What a pool process reports. */
export interface PoolEvent extends ChildMessage {
  jobId?: string;
  attempt?: number;
  outcome?: string;
  result?: unknown;
  message?: string;
  /** The error's `code`, for `failed` and the like. */
  code?: string;
  context?: string;
  stats?: Record<string, number>;
  running?: number;
}

/** The pool fixture's one JSON argument. Options left out keep the library's defaults. */
export interface PoolProcessConfig {
  url?: string;
  cluster?: { host: string; port: number }[];
  prefix: string;
  queue?: string;
  concurrency?: number;
  leaseDuration?: number;
  pollInterval?: number;
  gracePeriod?: number;
  attempts?: number;
  backoff?: { delay: number; jitter?: number };
  /** Per-group limits (the pool's `group` option). */
  group?: { concurrency?: number; limiter?: unknown };
  /** The pool's `limiter` (one window or several). */
  limiter?: unknown;
  /** The pool's `progressInterval`. */
  progressInterval?: number;
  /** Goes into every result, to tell which process ran a job. */
  tag?: string;
  /** Log to the terminal instead of nothing. */
  verbose?: boolean;
}

/**
 * Messages in arrival order, and waits on them. Shared by several children
 * when their messages must be checked together (a fleet).
 */
export class Inbox<M extends ChildMessage = ChildMessage> {
  readonly messages: M[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #taken = new WeakSet<M>();

  push(message: M): void {
    this.messages.push(message);
    this.notify();
  }

  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /**
   * The first message (already received or to come) that matches. Rejects
   * after `timeout` ms (Infinity: never), or once `gone()` says no matching
   * message can come.
   */
  waitFor(
    predicate: (m: M) => boolean,
    what = 'matching message',
    timeout = 30_000,
    gone: () => string | undefined = () => undefined,
  ): Promise<M> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error, found?: M) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (error) reject(error);
        else resolve(found!);
      };
      const check = () => {
        const found = this.messages.find(predicate);
        if (found) return finish(undefined, found);
        const reason = gone();
        if (reason) finish(new Error(`no ${what}: ${reason}; last: ${this.#last()}`));
      };
      // Infinity: no time limit (setTimeout would take it for 1 ms).
      const timer = Number.isFinite(timeout)
        ? setTimeout(
            () => finish(new Error(`no ${what} within ${timeout} ms; last: ${this.#last()}`)),
            timeout,
          )
        : undefined;
      this.#waiters.add(check);
      check();
    });
  }

  /** Like `waitFor`, for the first matching message not taken before; takes it. */
  async take(
    predicate: (m: M) => boolean,
    what?: string,
    timeout?: number,
    gone?: () => string | undefined,
  ): Promise<M> {
    const found = await this.waitFor(
      (m) => !this.#taken.has(m) && predicate(m),
      what,
      timeout,
      gone,
    );
    this.#taken.add(found);
    return found;
  }

  #last(): string {
    return JSON.stringify(this.messages.slice(-5));
  }
}

export interface ChildHandle<M extends ChildMessage = ChildMessage> {
  readonly pid: number;
  readonly child: ChildProcess;
  /** This child's messages (in a fleet, every child's). */
  readonly inbox: Inbox<M>;
  readonly messages: readonly M[];
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  readonly alive: boolean;
  /** This child's first message that matches; rejects early if it exits without sending one. */
  waitFor(predicate: (m: M) => boolean, what?: string, timeout?: number): Promise<M>;
  /** This child's first message of `type` not taken before; no time limit by default. */
  next(type: string, timeout?: number): Promise<M>;
  /** SIGKILL: no goodbye, no hand-back, leases left to expire. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after `timeout` ms; Infinity: never) and the exit code. */
  terminate(timeout?: number): Promise<number | null>;
  /** Asks the child to close ('close' over IPC; SIGKILL after `timeout` ms) and waits for its exit code. */
  stop(timeout?: number): Promise<number | null>;
}

export interface SpawnOptions<M extends ChildMessage> {
  /** Collect messages here instead of in an inbox of the child's own. */
  inbox?: Inbox<M>;
  /** Called with every message as it arrives. */
  onMessage?: (message: M) => void;
  /** Node's own flags for the child (the benchmark's `--cpu-prof`). */
  execArgv?: string[];
}

/** Forks `script` with `config` as its one JSON argument and an IPC channel. */
export function spawnChild<M extends ChildMessage = ChildMessage>(
  script: string,
  config: object,
  options: SpawnOptions<M> = {},
): ChildHandle<M> {
  const inbox = options.inbox ?? new Inbox<M>();
  const child = fork(script, [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
  const pid = child.pid ?? -1;
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      // Messages sent just before the exit can arrive just after it: let them land first.
      setImmediate(() => {
        exitCode = code;
        resolve(code);
        inbox.notify();
      });
    }),
  );
  child.on('message', (m: M) => {
    options.onMessage?.(m);
    inbox.push(m);
  });
  const gone = () =>
    exitCode === undefined ? undefined : `process ${pid} exited with ${exitCode}`;
  const own = (predicate: (m: M) => boolean) => (m: M) => m.pid === pid && predicate(m);
  const terminate = async (signal: NodeJS.Signals | 'close', timeout: number) => {
    if (exitCode === undefined) {
      if (signal === 'close') child.send('close');
      else child.kill(signal);
    }
    const timer = Number.isFinite(timeout)
      ? setTimeout(() => child.kill('SIGKILL'), timeout)
      : undefined;
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return {
    pid,
    child,
    inbox,
    get messages() {
      return inbox.messages.filter((m) => m.pid === pid);
    },
    exited,
    get alive() {
      return exitCode === undefined;
    },
    waitFor: (predicate, what, timeout) => inbox.waitFor(own(predicate), what, timeout, gone),
    next: (type, timeout = Infinity) =>
      inbox.take(
        own((m) => m.type === type),
        `'${type}' from ${pid}`,
        timeout,
        gone,
      ),
    async kill() {
      await terminate('SIGKILL', 0);
    },
    terminate: (timeout = 30_000) => terminate('SIGTERM', timeout),
    stop: (timeout = 30_000) => terminate('close', timeout),
  };
}

export interface PoolProcess extends ChildHandle<PoolEvent> {
  readonly tag: string;
  /** The pool's `stats()` snapshot. */
  stats(timeout?: number): Promise<Record<string, number>>;
}

/** Starts the pool fixture and waits until its pool has started (rejects if it dies first). */
export async function startPoolProcess(
  config: PoolProcessConfig,
  options: SpawnOptions<PoolEvent> = {},
): Promise<PoolProcess> {
  const handle = spawnChild<PoolEvent>(POOL_PROCESS, config, options);
  const pool: PoolProcess = Object.assign(handle, {
    tag: config.tag ?? String(handle.pid),
    async stats(timeout = 10_000) {
      const since = handle.inbox.messages.length;
      handle.child.send('stats');
      const found = await handle.waitFor(
        (m) => m.type === 'stats' && handle.inbox.messages.indexOf(m) >= since,
        `stats of ${handle.pid}`,
        timeout,
      );
      return found.stats ?? {};
    },
  });
  try {
    await pool.waitFor((m) => m.type === 'ready', `ready from ${pool.pid}`, 30_000);
  } catch (error) {
    await pool.kill();
    throw error;
  }
  return pool;
}

/**
 * Pool processes for one fault test. Every message of every process lands in
 * one list, `events`, in the order received, so the invariants can be checked
 * across processes; `stopAll()` SIGKILLs whatever is still running. The fault
 * tests' defaults: 4 slots, 4 attempts, 50 ms between them.
 */
export function poolFleet(defaults: Partial<PoolProcessConfig> = {}) {
  const inbox = new Inbox<PoolEvent>();
  const pools: PoolProcess[] = [];

  async function start(config: Partial<PoolProcessConfig> = {}): Promise<PoolProcess> {
    const full = {
      concurrency: 4,
      attempts: 4,
      backoff: { delay: 50, jitter: 0 },
      ...defaults,
      ...config,
    } as PoolProcessConfig;
    const pool = await startPoolProcess(full, { inbox });
    pools.push(pool);
    return pool;
  }

  async function stopAll(): Promise<void> {
    await Promise.all(pools.map((p) => p.kill()));
  }

  return {
    events: inbox.messages,
    pools,
    start,
    /** The first event of any process (already received or to come) that matches. */
    waitFor: (predicate: (e: PoolEvent) => boolean, what: string, timeout = 30_000) =>
      inbox.waitFor(predicate, what, timeout),
    stopAll,
  };
}
