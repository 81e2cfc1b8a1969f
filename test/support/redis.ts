import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { Logger } from '../../src/index.js';
import { formatLogLine, type LogFields } from '../../src/logger.js';

/** The shared test Redis (see global-setup.ts). */
export function redisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix no other test uses, so tests never see each other's jobs. */
export function uniquePrefix(label = 't'): string {
  return `rwp-test-${label}-${randomBytes(4).toString('hex')}`;
}

/** A plain client for looking at Redis from a test. Close it with `quit()`. */
export function rawClient(url = redisUrl()): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  client.on('error', () => {});
  return client;
}

/** One call a `memoryLogger` received. */
export interface LogCall {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps lines (and calls) in memory, for asserting on log output. */
export function memoryLogger(): Logger & { lines: string[]; calls: LogCall[] } {
  const lines: string[] = [];
  const calls: LogCall[] = [];
  // Each line as the default formatter prints it, so tests read the original's lines.
  const push = (level: string) => (message: string, fields?: LogFields) => {
    calls.push({ level, message, fields });
    lines.push(`${level} ${formatLogLine(message, fields)}`);
  };
  return {
    lines,
    calls,
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    debug: push('debug'),
  };
}

/** Resolve when `predicate` holds, polling every 10 ms; reject after `timeout` ms with `what`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeout = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
