import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { OptionRangeError, OptionTypeError } from '../../src/errors.js';
import { WorkerPoolMetrics, type WorkerPoolMetricsOptions } from '../../src/metrics.js';

// The metrics entry checks its options with the library's own checks: the same
// error classes, codes and message shape as a pool's options.

const make = (options: unknown) => () => new WorkerPoolMetrics(options as WorkerPoolMetricsOptions);

describe('WorkerPoolMetrics options', () => {
  it('accepts good options', () => {
    const registry = new Registry();
    const metrics = new WorkerPoolMetrics({
      registry,
      prefix: 'ebooks_',
      runTimeBuckets: [1, 10],
      waitTimeBuckets: [0.5],
      collectTimeout: 500,
    });
    expect(metrics.registry).toBe(registry);
  });

  it.each([
    [null, 'Expected `options` to be a plain object, got `null`'],
    ['x', 'Expected `options` to be a plain object, got `x` (string)'],
    [{ registry: {} }, 'Expected `registry` to be a prom-client Registry, got an object'],
    [
      { prefix: 5 },
      'Expected `prefix` to be a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got `5` (number)',
    ],
    [
      { runTimeBuckets: 'fast' },
      'Expected `runTimeBuckets` to be a non-empty array of increasing positive numbers (seconds), got `fast` (string)',
    ],
    [
      { collectTimeout: '2s' },
      'Expected `collectTimeout` to be an integer from 1 to 60000, got `2s` (string)',
    ],
  ])('refuses %j with an OptionTypeError', (options, message) => {
    try {
      make(options)();
      expect.fail('did not throw');
    } catch (error) {
      expect(error).toBeInstanceOf(OptionTypeError);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as OptionTypeError).code).toBe('ERR_INVALID_OPTION');
      expect((error as OptionTypeError).message).toBe(message);
    }
  });

  it.each([
    [
      { prefix: 'has space' },
      'prefix',
      'Expected `prefix` to be a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got `has space` (string)',
    ],
    [
      { runTimeBuckets: [5, 1] },
      'runTimeBuckets',
      'Expected `runTimeBuckets` to be a non-empty array of increasing positive numbers (seconds), got an array of length 2',
    ],
    [
      { waitTimeBuckets: [] },
      'waitTimeBuckets',
      'Expected `waitTimeBuckets` to be a non-empty array of increasing positive numbers (seconds), got an array of length 0',
    ],
    [
      { waitTimeBuckets: [1, '2'] },
      'waitTimeBuckets',
      'Expected `waitTimeBuckets` to be a non-empty array of increasing positive numbers (seconds), got an array of length 2',
    ],
    [
      { collectTimeout: 0 },
      'collectTimeout',
      'Expected `collectTimeout` to be an integer from 1 to 60000, got `0` (number)',
    ],
    [
      { collectTimeout: 1.5 },
      'collectTimeout',
      'Expected `collectTimeout` to be an integer from 1 to 60000, got `1.5` (number)',
    ],
  ])('refuses %j with an OptionRangeError naming the option', (options, option, message) => {
    try {
      make(options)();
      expect.fail('did not throw');
    } catch (error) {
      expect(error).toBeInstanceOf(OptionRangeError);
      expect(error).toBeInstanceOf(RangeError);
      expect(error).toMatchObject({ code: 'ERR_OPTION_OUT_OF_RANGE', option, message });
    }
  });

  it('refuses an unknown option, suggesting the closest known one', () => {
    try {
      make({ regsitry: new Registry() })();
      expect.fail('did not throw');
    } catch (error) {
      expect(error).toBeInstanceOf(OptionTypeError);
      expect(error).toMatchObject({
        option: 'regsitry',
        message:
          'Unknown option `regsitry` in WorkerPoolMetrics options; did you mean `registry`? Known options: `registry`, `prefix`, `runTimeBuckets`, `waitTimeBuckets`, `collectTimeout`',
      });
    }
  });
});
