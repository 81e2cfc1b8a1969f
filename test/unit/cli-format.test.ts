import { describe, expect, it } from 'vitest';
import { formatDuration, relative, table, truncate } from '../../src/cli/format.js';

describe('CLI output formatting', () => {
  it('formats durations from milliseconds to days', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_345)).toBe('12.3s');
    expect(formatDuration(4 * 60_000 + 5_000)).toBe('4m05s');
    expect(formatDuration(2 * 3_600_000 + 3 * 60_000)).toBe('2h03m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d04h');
    expect(formatDuration(-5)).toBe('0ms');
  });

  it('says how far a time is from now', () => {
    expect(relative(1000, 13_300)).toBe('12.3s ago');
    expect(relative(5000, 1000)).toBe('in 4.0s');
  });

  it('aligns table columns and cuts the last one to the width', () => {
    expect(
      table(
        ['ID', 'ERROR'],
        [
          ['1', 'short'],
          ['1234', 'a much longer message'],
        ],
        { width: 16 },
      ),
    ).toEqual(['  ID    ERROR', '  1     short', '  1234  a much …']);
    expect(truncate('abc', 5)).toBe('abc');
  });
});
