import { describe, expect, it } from 'vitest';
import {
  closest,
  integerFlag,
  parseCommandArgs,
  parseRateLimit,
  type FlagSpecs,
} from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/cli-error.js';

const flags: FlagSpecs = {
  queue: { type: 'string', short: 'q', value: '<name>', description: '' },
  limit: { type: 'string', short: 'n', value: '<n>', description: '' },
  json: { type: 'boolean', description: '' },
};

describe('CLI argument parsing', () => {
  it('reads long and short flags and positionals', () => {
    const args = parseCommandArgs('jobs', flags, ['failed', '-q', 'pages', '--limit=5', '--json'], {
      positionals: true,
    });
    expect(args.values).toEqual({ queue: 'pages', limit: '5', json: true });
    expect(args.positionals).toEqual(['failed']);
    expect(integerFlag(args, 'limit', { min: 1, max: 10 })).toBe(5);
  });

  it('refuses an unknown flag with a suggestion, and an empty value', () => {
    expect(() => parseCommandArgs('jobs', flags, ['--lmit', '5'])).toThrow(
      'Unknown flag --lmit for `worker-pool jobs`; did you mean --limit?',
    );
    expect(() => parseCommandArgs('jobs', flags, ['--queue='])).toThrow(
      '--queue needs a value <name>',
    );
    expect(() => parseCommandArgs('jobs', flags, ['stray'])).toThrow(
      '`worker-pool jobs` takes no argument (got `stray`)',
    );
  });

  it('checks integer flags: form and bounds', () => {
    const args = parseCommandArgs('jobs', flags, ['--limit', '1.5']);
    expect(() => integerFlag(args, 'limit', { min: 1 })).toThrow(
      'Expected `--limit` to be an integer >= 1, got `1.5`',
    );
    expect(integerFlag(parseCommandArgs('jobs', flags, []), 'limit')).toBeUndefined();
  });

  it('suggests only near names', () => {
    expect(closest('stauts', ['status', 'jobs'])).toBe('status');
    expect(closest('deploy', ['status', 'jobs'])).toBeUndefined();
  });

  it('reads --rate-limit in ms, seconds or minutes', () => {
    expect(parseRateLimit('50/60000')).toEqual({ max: 50, duration: 60_000 });
    expect(parseRateLimit('50/60s')).toEqual({ max: 50, duration: 60_000 });
    expect(parseRateLimit('5 / 1m')).toEqual({ max: 5, duration: 60_000 });
    expect(() => parseRateLimit('50 per minute')).toThrow(UsageError);
  });
});
