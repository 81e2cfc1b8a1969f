/** createDashboard() checks its options before connecting, with the library's message shape. */
import { describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/dashboard/index.js';
import type { DashboardOptions } from '../../src/dashboard/index.js';

const bad = (options: unknown) => () => createDashboard(options as DashboardOptions);

describe('createDashboard() options', () => {
  it('needs at least one queue', () => {
    expect(bad({})).toThrow(
      'Expected `queues` to be a queue name or a non-empty array of queue names, got `undefined`',
    );
    expect(bad({ queues: [] })).toThrow('got an array of length 0');
    expect(bad({ queues: ['a', 3] })).toThrow(TypeError);
    expect(bad({ queues: ['a b'] })).toThrow(
      'Expected `name` to be a queue name without braces or white space, got `a b` (string)',
    );
  });

  it('wants a token of 16 characters or more, and never shows it', () => {
    let error: unknown;
    try {
      createDashboard({ queues: 'q', token: 'hunter2' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe(
      'Expected `token` to be a string of at least 16 characters, got one of 7 (not shown: it is a secret)',
    );
    expect(bad({ queues: 'q', token: 42 })).toThrow(
      'Expected `token` to be a string, got `42` (number)',
    );
  });

  it('checks readOnly, basePath and refreshInterval, and names unknown options', () => {
    expect(bad({ queues: 'q', readOnly: 'yes' })).toThrow(
      'Expected `readOnly` to be a boolean, got `yes` (string)',
    );
    expect(bad({ queues: 'q', basePath: 'admin' })).toThrow(
      "Expected `basePath` to be a path starting with '/'",
    );
    expect(bad({ queues: 'q', refreshInterval: 10 })).toThrow(
      'Expected `refreshInterval` to be an integer from 100 to 60000, got `10` (number)',
    );
    expect(bad({ queues: 'q', readonly: true })).toThrow(/readonly.*readOnly/);
  });
});
