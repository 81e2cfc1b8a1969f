import { escapeControl } from '../../src/terminal-text.js';
import { describe, it, expect, vi } from 'vitest';
import { formatDuration as cliFormatDuration } from '../../src/cli/format.js';
import {
  consoleLogger,
  formatDuration,
  formatLogLine,
  pinoLogger,
  safeLogger,
  silentLogger,
  type Logger,
} from '../../src/logger.js';

describe('safeLogger', () => {
  it('passes every message through', () => {
    const inner = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
    const logger = safeLogger(inner);
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.debug?.('d');
    expect(inner.info).toHaveBeenCalledWith('i');
    expect(inner.warn).toHaveBeenCalledWith('w');
    expect(inner.error).toHaveBeenCalledWith('e');
    expect(inner.debug).toHaveBeenCalledWith('d');
  });

  it('swallows a logger that throws', () => {
    const boom = () => {
      throw new Error('logger broke');
    };
    const inner: Logger = { info: vi.fn(boom), warn: vi.fn(boom), error: vi.fn(boom) };
    const logger = safeLogger(inner);
    expect(() => logger.info('a')).not.toThrow();
    expect(() => logger.warn('b')).not.toThrow();
    expect(() => logger.error('c')).not.toThrow();
    expect(inner.error).toHaveBeenCalledWith('c');
  });

  it('tolerates a logger without debug', () => {
    const logger = safeLogger({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });
    expect(() => logger.debug?.('d')).not.toThrow();
  });

  it('calls the methods on the logger itself, so loggers that use this work', () => {
    class Collecting {
      lines: string[] = [];
      info(m: string) {
        this.lines.push(m);
      }
      warn(m: string) {
        this.lines.push(m);
      }
      error(m: string) {
        this.lines.push(m);
      }
    }
    const inner = new Collecting();
    safeLogger(inner).info('hello');
    expect(inner.lines).toEqual(['hello']);
  });
});

describe('built-in loggers', () => {
  it('silentLogger does nothing and says nothing', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      silentLogger.info('x');
      silentLogger.warn('x');
      silentLogger.error('x');
      silentLogger.debug?.('x');
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });

  it('consoleLogger writes plain lines to the console', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      consoleLogger.info('info line');
      consoleLogger.warn('warn line');
      consoleLogger.error('error line');
      expect(log).toHaveBeenCalledWith('info line');
      expect(warn).toHaveBeenCalledWith('warn line');
      expect(error).toHaveBeenCalledWith('error line');
    } finally {
      log.mockRestore();
      warn.mockRestore();
      error.mockRestore();
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [12.4, '12ms'],
    [999, '999ms'],
    [1000, '1.0s'],
    [5200, '5.2s'],
    [12_345, '12.3s'],
    [59_900, '59.9s'],
    [60_000, '1m00s'],
    [90_000, '1m30s'],
    [125_000, '2m05s'],
    [4 * 60_000 + 5_000, '4m05s'],
    [3_600_000, '1h00m'],
    [2 * 3_600_000 + 3 * 60_000, '2h03m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d04h'],
    // Rounding never shows 60 of a unit: it carries to the next one.
    [999.6, '1.0s'],
    [59_950, '1m00s'],
    [59_960, '1m00s'],
    [119_600, '2m00s'],
    [3_599_999, '1h00m'],
    // Nothing negative or not a number reaches a log line.
    [-5, '0ms'],
    [Number.NaN, '0ms'],
  ])('formats %s ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('is the same function for the library and the CLI', () => {
    expect(cliFormatDuration).toBe(formatDuration);
  });
});

describe('structured log calls', () => {
  it('passes fields through safeLogger, and a call without fields as one argument', () => {
    const inner = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
    const logger = safeLogger(inner);
    const fields = { queue: 'pages', jobId: '7', name: 'page', attempt: 2, workerId: 3 };
    logger.info('Processing job', fields);
    logger.warn('w', { scope: 'Queue' });
    logger.error('e', { err: new Error('x') });
    logger.debug?.('d', { durationMs: 5 });
    logger.info('plain');
    expect(inner.info).toHaveBeenNthCalledWith(1, 'Processing job', fields);
    expect(inner.info.mock.calls[1]).toEqual(['plain']);
    expect(inner.warn).toHaveBeenCalledWith('w', { scope: 'Queue' });
    expect(inner.error.mock.calls[0]?.[1]).toMatchObject({ err: expect.any(Error) });
    expect(inner.debug).toHaveBeenCalledWith('d', { durationMs: 5 });
  });

  it('still takes a logger written for strings only', () => {
    const lines: string[] = [];
    const stringsOnly: Logger = {
      info: (message: string) => lines.push(message),
      warn: (message: string) => lines.push(message),
      error: (message: string) => lines.push(message),
    };
    safeLogger(stringsOnly).info('hello', { workerId: 1 });
    expect(lines).toEqual(['hello']);
  });
});

describe('formatLogLine (the default formatter)', () => {
  it("rebuilds the original's lines from the message and fields", () => {
    expect(
      formatLogLine('Processing job: ID=7, Name=page (Attempt 1/4)', {
        workerId: 1,
        jobId: '7',
        name: 'page',
        attempt: 1,
        queue: 'pages',
      }),
    ).toBe('[Worker-1] Processing job: ID=7, Name=page (Attempt 1/4)');
    expect(formatLogLine('Redis connection successful.', { scope: 'Worker Pool' })).toBe(
      '[Worker Pool] Redis connection successful.',
    );
    expect(formatLogLine('Uptime: 60s', { scope: 'Stats' })).toBe('[Stats] Uptime: 60s');
  });

  it('prefers the worker to the scope, and prints a message without either as it is', () => {
    expect(formatLogLine('Started', { workerId: 4, scope: 'Worker Pool' })).toBe(
      '[Worker-4] Started',
    );
    expect(formatLogLine('[Worker Pool] Closed.')).toBe('[Worker Pool] Closed.');
    expect(formatLogLine('x', { scope: '' })).toBe('x');
    expect(formatLogLine('x', { workerId: '2' as unknown as number })).toBe('x');
  });

  it('leaves out the other fields: they are for structured loggers', () => {
    expect(formatLogLine('m', { jobId: '1', durationMs: 5, err: new Error('e') })).toBe('m');
  });

  it('escapes an OSC 52 sequence in a job id, so it cannot write the clipboard', () => {
    const id = '\u001b]52;c;ZWNobyBoaQ==\u0007';
    const line = formatLogLine(`Processing job: ID=${id}`, { workerId: 1 });
    expect(line).toBe('[Worker-1] Processing job: ID=\\u001b]52;c;ZWNobyBoaQ==\\u0007');
    expect([...line].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });

  it('escapes ANSI colours, C0 and C1 controls, DEL and bidi overrides, but keeps newline and tab', () => {
    expect(formatLogLine('\u001b[31mred\u001b[0m')).toBe('\\u001b[31mred\\u001b[0m');
    expect(formatLogLine('a\rb\u0000c\u0008d\u007fe')).toBe('a\\u000db\\u0000c\\u0008d\\u007fe');
    expect(formatLogLine('csi\u009b2Jst\u009c')).toBe('csi\\u009b2Jst\\u009c');
    expect(formatLogLine('abc\u202edcb')).toBe('abc\\u202edcb');
    expect(formatLogLine('line 1\n\tline 2')).toBe('line 1\n\tline 2');
    expect(formatLogLine('café ✓ 日本')).toBe('café ✓ 日本');
  });

  it('escapes the scope too', () => {
    expect(formatLogLine('m', { scope: 'Q\u001b[2J' })).toBe('[Q\\u001b[2J] m');
  });

  it('is what escapeControl does to a whole line', () => {
    expect(escapeControl('\u001b\u0007\n')).toBe('\\u001b\\u0007\n');
  });
});

describe('consoleLogger', () => {
  it('prints the default line: prefix from the fields, escaped', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      consoleLogger.info('Processing job: ID=1, Name=page (Attempt 1/4)', { workerId: 2 });
      consoleLogger.warn('Redis connection error: x; reconnecting...', { scope: 'Queue' });
      consoleLogger.error('Job failed permanently: \u001b]0;pwned\u0007', { workerId: 1 });
      expect(log).toHaveBeenCalledWith('[Worker-2] Processing job: ID=1, Name=page (Attempt 1/4)');
      expect(warn).toHaveBeenCalledWith('[Queue] Redis connection error: x; reconnecting...');
      expect(error).toHaveBeenCalledWith(
        '[Worker-1] Job failed permanently: \\u001b]0;pwned\\u0007',
      );
    } finally {
      log.mockRestore();
      warn.mockRestore();
      error.mockRestore();
    }
  });
});

describe('pinoLogger', () => {
  /** A stand-in with pino's call shape: `(fields, message)`, and `this` used as pino does. */
  class FakePino {
    records: Record<string, unknown>[] = [];
    #write(level: string, fields: object, message?: string) {
      this.records.push({ level, ...fields, msg: message });
    }
    info(fields: object, message?: string) {
      this.#write('info', fields, message);
    }
    warn(fields: object, message?: string) {
      this.#write('warn', fields, message);
    }
    error(fields: object, message?: string) {
      this.#write('error', fields, message);
    }
    debug(fields: object, message?: string) {
      this.#write('debug', fields, message);
    }
  }

  it('calls pino with the fields first and the message second', () => {
    const pino = new FakePino();
    const logger = pinoLogger(pino);
    const err = new Error('429');
    logger.info('Processing job', { queue: 'pages', jobId: '7', workerId: 1, attempt: 1 });
    logger.warn('Job failed', { jobId: '7', err });
    logger.error('boom');
    logger.debug?.('Heartbeat failed', { scope: 'Worker Pool' });
    expect(pino.records).toEqual([
      { level: 'info', queue: 'pages', jobId: '7', workerId: 1, attempt: 1, msg: 'Processing job' },
      { level: 'warn', jobId: '7', err, msg: 'Job failed' },
      { level: 'error', msg: 'boom' },
      { level: 'debug', scope: 'Worker Pool', msg: 'Heartbeat failed' },
    ]);
  });

  it('copies the fields, so pino may keep or change them', () => {
    const pino = new FakePino();
    const fields = { jobId: '1' };
    pinoLogger(pino).info('m', fields);
    expect(pino.records[0]).not.toBe(fields);
    expect(fields).toEqual({ jobId: '1' });
  });

  it('tolerates a pino-like logger without debug', () => {
    const { debug: _debug, ...rest } = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: 0 };
    const logger = pinoLogger(rest);
    expect(() => logger.debug?.('d')).not.toThrow();
    logger.info('i');
    expect(rest.info).toHaveBeenCalledWith({}, 'i');
  });
});
