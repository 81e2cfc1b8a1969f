import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

/** The CLI test fixtures (handler modules), by file name. */
export const fixture = (name: string) => join(root, 'test', 'fixtures', 'cli', name);

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment a user's shell would give the CLI, minus anything of this
 * machine that would change its behaviour: the tests pass Redis and the pool
 * settings explicitly.
 */
function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) base[key] = value;
  return base;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolve once stdout or stderr matches `pattern`, with the match. */
  waitForOutput(pattern: RegExp, timeout?: number): Promise<RegExpMatchArray>;
  /** Send a signal (default SIGTERM) and wait for the process to end. */
  stop(signal?: NodeJS.Signals, timeout?: number): Promise<CliResult>;
  /** Resolves when the process ends on its own. */
  readonly exited: Promise<CliResult>;
}

/** Start `node dist/cli.js <args>` as a user would run `worker-pool <args>`. */
export function startCli(
  args: readonly string[],
  { env = {}, cwd = root }: { env?: Record<string, string | undefined>; cwd?: string } = {},
): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const l of listeners) l();
  });
  const exited = new Promise<CliResult>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput(pattern, timeout = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = stdout.match(pattern) ?? stderr.match(pattern);
          if (!match) return;
          cleanup();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `worker-pool ${args.join(' ')}: no output matching ${pattern} within ${timeout} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          );
        }, timeout);
        const ended = () => {
          // Give the last chunk a chance to match before giving up.
          setImmediate(() => {
            if (!listeners.has(check)) return;
            cleanup();
            reject(
              new Error(
                `worker-pool ${args.join(' ')} exited before printing ${pattern}.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
              ),
            );
          });
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('close', ended);
        };
        listeners.add(check);
        child.once('close', ended);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeout = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(
              new Error(
                `worker-pool ${args.join(' ')} did not exit within ${timeout} ms of ${signal}`,
              ),
            );
          }, timeout);
        }),
      ]);
      clearTimeout(timer);
      return result;
    },
  };
}

/** Run `worker-pool <args>` to the end; SIGKILL it after `timeout` ms. */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeout?: number } = {},
): Promise<CliResult> {
  const process = startCli(args, options);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    process.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        process.child.kill('SIGKILL');
        reject(
          new Error(
            `worker-pool ${args.join(' ')} did not exit within ${options.timeout ?? 30_000} ms.\nstdout:\n${process.stdout()}\nstderr:\n${process.stderr()}`,
          ),
        );
      }, options.timeout ?? 30_000);
    }),
  ]);
  clearTimeout(timer);
  return result;
}
