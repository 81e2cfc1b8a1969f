import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

export interface ExampleProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves once its output matches. */
  waitForOutput(pattern: RegExp, timeout?: number): Promise<void>;
  /** Resolves with its exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then its exit code. */
  terminate(): Promise<number | string>;
  /**
   * SIGKILL the program itself, then tsx: tsx passes SIGINT and SIGTERM on to the
   * node process that runs the program, but nothing can pass SIGKILL on.
   */
  kill(): Promise<number | string>;
}

/**
 * Run an example program the way `npm run ebook` does (tsx with
 * tsconfig.run.json, so `redis-worker-pool` is the built package), with the
 * given environment on top of this one, less any OpenAI key.
 */
export function runExample(
  script: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): ExampleProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: undefined, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const child = spawn(tsx, ['--tsconfig', 'tsconfig.run.json', script, ...args], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    output: () => text,
    exited,
    waitForOutput(pattern, timeout = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} within ${timeout} ms in:\n${text.slice(-2000)}`));
        }, timeout);
        listeners.add(check);
        void exited.then(() => {
          if (!pattern.test(text)) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`exited before ${pattern} appeared:\n${text.slice(-2000)}`));
          }
        });
        check();
      });
    },
    async terminate() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      let program: number[] = [];
      try {
        program = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean)
          .map(Number);
      } catch {
        // pgrep exits 1 when tsx has no child (any more): nothing to kill but tsx.
      }
      for (const pid of program) process.kill(pid, 'SIGKILL');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}
