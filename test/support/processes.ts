import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

export interface ChildMessage {
  type: string;
  jobId?: string;
  attempt?: number;
  outcome?: string;
  result?: unknown;
  message?: string;
  code?: string;
  pid?: number;
}

export interface PoolProcess {
  readonly child: ChildProcess;
  readonly messages: ChildMessage[];
  /** Resolves with the first message (already received or to come) matching `predicate`. */
  waitFor(predicate: (m: ChildMessage) => boolean, timeout?: number): Promise<ChildMessage>;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  terminate(): Promise<number | null>;
}

export interface PoolProcessConfig {
  url: string;
  prefix: string;
  queue?: string;
  concurrency?: number;
  leaseDuration?: number;
  pollInterval?: number;
  gracePeriod?: number;
  progressInterval?: number;
  tag?: string;
  verbose?: boolean;
}

/** Start `test/fixtures/pool-process.mjs` (a pool on the built package) and wait until it is ready. */
export async function startPoolProcess(config: PoolProcessConfig): Promise<PoolProcess> {
  const child = fork(join(fixtures, 'pool-process.mjs'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: ChildMessage[] = [];
  const waiters = new Set<() => void>();
  child.on('message', (m) => {
    messages.push(m as ChildMessage);
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const handle: PoolProcess = {
    child,
    messages,
    waitFor(predicate, timeout = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `child ${child.pid}: no matching message within ${timeout} ms; got ${JSON.stringify(messages.slice(-5))}`,
            ),
          );
        }, timeout);
        waiters.add(check);
        check();
      });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async terminate() {
      child.kill('SIGTERM');
      return exited;
    },
  };
  await handle.waitFor((m) => m.type === 'ready', 20_000);
  return handle;
}
