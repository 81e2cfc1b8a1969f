import { describe, it, expect, vi } from 'vitest';
import {
  consoleLogger,
  formatDuration,
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
    [59_900, '59.9s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [125_000, '2m5s'],
    [3_600_000, '60m0s'],
    // Rounding never shows 60 of a unit: it carries to the next one.
    [999.6, '1.0s'],
    [59_950, '1m0s'],
    [119_600, '2m0s'],
    [3_599_999, '60m0s'],
  ])('formats %s ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
