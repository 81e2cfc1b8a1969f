import { describe, expect, it } from 'vitest';
import { escapeControl } from '../../src/terminal-text.js';

describe('escapeControl', () => {
  it('escapes OSC, CSI and other C0 controls, DEL and the C1 range', () => {
    expect(escapeControl('\u001b]52;c;b3duZWQ=\u0007')).toBe('\\u001b]52;c;b3duZWQ=\\u0007');
    expect(escapeControl('\u001b[2J')).toBe('\\u001b[2J');
    expect(escapeControl('a\rb\u0000c\u007fd\u0080e\u009bf\u009f')).toBe(
      'a\\u000db\\u0000c\\u007fd\\u0080e\\u009bf\\u009f',
    );
  });

  it('keeps newlines and tabs unless asked, and leaves other text alone', () => {
    expect(escapeControl('one\n\ttwo')).toBe('one\n\ttwo');
    expect(escapeControl('one\n\ttwo', { lines: false })).toBe('one\\u000a\\u0009two');
    expect(escapeControl('Café 日本 🐝 \u00a0 \\u001b')).toBe('Café 日本 🐝 \u00a0 \\u001b');
  });

  it('is idempotent, and its output inside a JSON string stays valid JSON', () => {
    const once = escapeControl('x\u009b\u007f\u001b');
    expect(escapeControl(once)).toBe(once);
    const json = escapeControl(JSON.stringify({ id: 'a\u009bb\u007fc\u001bd' }));
    expect(JSON.parse(json)).toEqual({ id: 'a\u009bb\u007fc\u001bd' });
  });
});
