import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactError } from '../../src/redact.js';

const withCommand = (message: string, name: string, args: unknown[]) =>
  Object.assign(new Error(message), { command: { name, args } });

describe('redactError', () => {
  it('hides the password of HELLO ... AUTH and AUTH, keeping the rest of the command', () => {
    const hello = redactError(
      withCommand('WRONGPASS', 'hello', ['3', 'AUTH', 'default', 's3cret-pw']),
    );
    expect(hello.command.args).toEqual(['3', 'AUTH', '[redacted]', '[redacted]']);
    const auth = redactError(withCommand('WRONGPASS', 'auth', ['user', 's3cret-pw']));
    expect(auth.command.args).toEqual(['[redacted]', '[redacted]']);
    const get = redactError(withCommand('NOPERM', 'get', ['key']));
    expect(get.command.args).toEqual(['key']);
  });

  it('scrubs nested causes, previousErrors, lastNodeError and AggregateError errors', () => {
    const inner = withCommand('WRONGPASS', 'auth', ['s3cret-pw']);
    const previous = withCommand('x', 'hello', ['3', 'AUTH', 'u', 'other-pw']);
    const node = withCommand('y', 'auth', ['node-pw']);
    const outer = Object.assign(new Error('outer', { cause: inner }), {
      previousErrors: [previous],
      lastNodeError: node,
    });
    const all = new AggregateError([outer], 'all failed');
    redactError(all);
    const text = inspect(all, { depth: 10, showHidden: true });
    for (const secret of ['s3cret-pw', 'other-pw', 'node-pw']) expect(text).not.toContain(secret);
  });

  it('removes a found password from every message and stack, and credentials from redis:// URLs', () => {
    const auth = withCommand('WRONGPASS', 'auth', ['s3cret-pw']);
    const outer = new Error('failed with s3cret-pw at redis://admin:hunter2@10.0.0.5:6379/0', {
      cause: auth,
    });
    outer.stack = `Error: rediss://:hunter2@host\n    at s3cret-pw`;
    redactError(outer);
    expect(outer.message).toBe('failed with [redacted] at redis://[redacted]@10.0.0.5:6379/0');
    expect(outer.stack).toBe('Error: rediss://[redacted]@host\n    at [redacted]');
    expect(JSON.stringify({ ...outer, message: outer.message, cause: auth })).not.toMatch(
      /s3cret|hunter2/,
    );
  });

  it('survives loops, non-errors and hostile getters', () => {
    const a = withCommand('a', 'auth', ['s3cret-pw']);
    (a as Error).cause = a;
    expect(redactError(a).command.args).toEqual(['[redacted]']);
    expect(redactError(undefined)).toBeUndefined();
    expect(redactError('text')).toBe('text');
    const hostile = {
      get command(): never {
        throw new Error('boom');
      },
    };
    expect(redactError(hostile)).toBe(hostile);
  });
});
