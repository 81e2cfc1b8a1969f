/**
 * What the benchmark's parts share: child processes spoken to over IPC, a
 * probe of Redis's own counters, medians and number formats.
 */
import { Redis } from 'ioredis';
import {
  spawnChild as spawnHarnessChild,
  type ChildHandle,
  type ChildMessage,
} from '../test/support/pool-processes.js';

export type Message = ChildMessage & Record<string, unknown>;
export type Child = ChildHandle<Message>;

/**
 * Fork `script` with `config` as its JSON argument (`execArgv` for Node's own
 * flags), through the harness the tests use: one way to run a child process.
 */
export function spawnChild(script: string, config: object, execArgv?: string[]): Child {
  return spawnHarnessChild<Message>(script, config, execArgv ? { execArgv } : {});
}

/** Ask the child to close and wait for its exit, however long its drain takes. */
export async function closeChild(c: Child): Promise<void> {
  if (c.alive) await c.stop(Infinity);
}

export function exited(c: Child): Promise<unknown> {
  return c.exited;
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
  if (unit === 'MB' || unit === '%') return value.toFixed(1);
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
