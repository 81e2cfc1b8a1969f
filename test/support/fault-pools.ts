import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'fault-pool-process.mjs');

/** What a pool process reports; every message carries the pid of the process that sent it. */
export interface PoolEvent {
  type: string;
  pid: number;
  jobId?: string;
  attempt?: number;
  outcome?: string;
  result?: unknown;
  message?: string;
  context?: string;
  stats?: Record<string, number>;
  running?: number;
}

export interface FaultPoolConfig {
  url?: string;
  cluster?: { host: string; port: number }[];
  prefix: string;
  queue?: string;
  concurrency?: number;
  leaseDuration?: number;
  pollInterval?: number;
  gracePeriod?: number;
  attempts?: number;
  tag?: string;
  verbose?: boolean;
}

export interface FaultPool {
  readonly pid: number;
  readonly tag: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly alive: boolean;
  /** SIGKILL: no goodbye, no hand-back, leases left to expire. */
  kill(): Promise<void>;
  /** SIGTERM and the exit code. */
  terminate(timeout?: number): Promise<number | null>;
  /** The pool's `stats()` snapshot. */
  stats(timeout?: number): Promise<Record<string, number>>;
}

/**
 * Pool processes for one test. Every event of every process lands in one
 * list, `events`, in the order received, so the invariants can be checked
 * across processes; `stopAll()` SIGKILLs whatever is still running.
 */
export function poolFleet(defaults: Partial<FaultPoolConfig> = {}) {
  const events: PoolEvent[] = [];
  const pools: FaultPool[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  /** Resolve with the first event (already received or to come) that matches. */
  function waitFor(
    predicate: (e: PoolEvent) => boolean,
    what: string,
    timeout = 30_000,
  ): Promise<PoolEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find(predicate);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `no ${what} within ${timeout} ms; last events: ${JSON.stringify(events.slice(-5))}`,
          ),
        );
      }, timeout);
      waiters.add(check);
      check();
    });
  }

  async function start(config: Partial<FaultPoolConfig> = {}): Promise<FaultPool> {
    const full = { ...defaults, ...config } as FaultPoolConfig;
    const child = fork(fixture, [JSON.stringify(full)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let alive = true;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        alive = false;
        notify();
        resolve(code);
      }),
    );
    child.on('message', (m) => {
      events.push(m as PoolEvent);
      notify();
    });
    const pid = child.pid ?? -1;
    const pool: FaultPool = {
      pid,
      tag: full.tag ?? String(pid),
      child,
      exited,
      get alive() {
        return alive;
      },
      async kill() {
        if (alive) child.kill('SIGKILL');
        await exited;
      },
      async terminate(timeout = 30_000) {
        if (alive) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
        const code = await exited;
        clearTimeout(timer);
        return code;
      },
      async stats(timeout = 10_000) {
        const since = events.length;
        child.send('stats');
        const found = await waitFor(
          (e) => e.type === 'stats' && e.pid === pid && events.indexOf(e) >= since,
          `stats of ${pid}`,
          timeout,
        );
        return found.stats ?? {};
      },
    };
    pools.push(pool);
    const ready = waitFor((e) => e.type === 'ready' && e.pid === pid, `ready from ${pid}`, 30_000);
    const died = exited.then((code) => {
      throw new Error(`pool process ${pid} exited with ${code} before it was ready`);
    });
    // Whichever loses the race must not surface later as an unhandled rejection.
    ready.catch(() => {});
    died.catch(() => {});
    await Promise.race([ready, died]);
    return pool;
  }

  async function stopAll(): Promise<void> {
    await Promise.all(pools.map((p) => p.kill()));
  }

  return { events, pools, start, waitFor, stopAll };
}
