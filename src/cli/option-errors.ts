import { OptionRangeError, OptionTypeError } from 'redis-worker-pool';
import { UsageError } from './cli-error.js';

/** Pool and queue options, and the flag or environment variable that sets each one. */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  name: '--queue',
  prefix: '--prefix',
  connection: '--redis-url',
  concurrency: '--concurrency',
  'concurrency.max': '--max-workers',
  processingDelay: '--processing-delay',
  timeout: '--timeout',
  pollInterval: '--poll-interval',
  attempts: '--max-retries',
  leaseDuration: '--lease-duration',
  gracePeriod: '--grace-period',
  statsInterval: '--stats-interval',
  maxRateLimitHold: '--max-rate-limit-hold',
  'limiter.max': '--rate-limit',
  'limiter.duration': '--rate-limit',
};

/**
 * Turn the library's option errors into usage errors that name what the user
 * typed: ``Expected `concurrency` to be ...`` becomes a message about
 * `--concurrency`. Environment variables keep their names (the library already
 * uses them). Anything else passes through unchanged.
 */
export function optionError(error: unknown): unknown {
  if (!(error instanceof OptionTypeError || error instanceof OptionRangeError)) return error;
  const flag = FLAG_OF_OPTION[error.option];
  if (!flag) {
    const isEnv = /^[A-Z][A-Z0-9_]+$/.test(error.option);
    return new UsageError(isEnv ? `Bad environment variable: ${error.message}` : error.message);
  }
  if (error.option === 'attempts') {
    // --max-retries is attempts - 1: say it in the flag's own terms.
    return new UsageError(`Expected \`--max-retries\` to be an integer from 0 to 999999`);
  }
  return new UsageError(`Bad ${flag}: ${error.message}`);
}
