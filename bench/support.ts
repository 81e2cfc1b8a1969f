/**
 * What the benchmark's parts share: child processes spoken to over IPC, a
 * probe of Redis's own counters, medians and number formats.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { Redis } from 'ioredis';

export interface Message {
  type: string;
  [key: string]: unknown;
}

export interface Child {
  child: ChildProcess;
  /** The next message of `type` (earlier ones are kept until asked for). */
  next: (type: string) => Promise<Message>;
}

/** Fork `script` with `config` as its JSON argument; `execArgv` for Node's own flags. */
export function spawnChild(script: string, config: object, execArgv?: string[]): Child {
  const child = fork(script, [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(execArgv ? { execArgv } : {}),
  });
  const inbox: Message[] = [];
  const waiting: { type: string; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  child.on('message', (m: Message) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
    else inbox.push(m);
  });
  // One listener for every wait (a wait per poll would pile up listeners).
  child.once('exit', (code) => {
    for (const w of waiting.splice(0))
      w.reject(new Error(`${basename(script)} exited (${code}) before '${w.type}'`));
  });
  return {
    child,
    next: (type) =>
      new Promise((resolve, reject) => {
        const i = inbox.findIndex((m) => m.type === type);
        if (i >= 0) return resolve(inbox.splice(i, 1)[0]!);
        if (child.exitCode !== null || child.signalCode !== null)
          return reject(
            new Error(`${basename(script)} exited (${child.exitCode}) before '${type}'`),
          );
        waiting.push({ type, resolve, reject });
      }),
  };
}

export async function closeChild(c: { child: ChildProcess }): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.send('close');
  await exited;
}

export function exited(c: { child: ChildProcess }): Promise<unknown> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => c.child.once('exit', r));
}

export class RedisProbe {
  readonly client: Redis;
  constructor(url: string) {
    this.client = new Redis(url);
  }
  async stats(): Promise<{ commands: number; cpuUs: number; memory: number }> {
    const info = await this.client.info();
    const field = (name: string) =>
      Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return {
      commands: field('total_commands_processed'),
      cpuUs: (field('used_cpu_user') + field('used_cpu_sys')) * 1e6,
      memory: field('used_memory'),
    };
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ratio') return value.toFixed(3);
  if (unit === 'ms' || unit === 'cmds' || unit === 's') return value.toFixed(2);
  if (unit === 'MB') return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

/**
 * Text from outside (a function name in a profile, a path, an error) made safe
 * for a terminal and a Markdown table: control characters escaped, `|` too.
 */
export function escapeText(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f|\\]/g,
    (c) =>
      c === '|'
        ? '\\|'
        : c === '\\'
          ? '\\\\'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
