import { OptionRangeError, OptionTypeError } from './errors.js';

/**
 * One message shape for every bad option, so users learn it once:
 * ``Expected `concurrency` to be an integer >= 1, got `0` (number)``.
 */

/** Render a received value for an error message: `` `0` (number) ``, `""` (empty string). */
export function describeValue(value: unknown): string {
  if (value === null) return '`null`';
  if (value === undefined) return '`undefined`';
  if (typeof value === 'string') {
    if (value === '') return '`""` (empty string)';
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `\`${shown}\` (string)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `\`${String(value)}${typeof value === 'bigint' ? 'n' : ''}\` (${typeof value})`;
  }
  if (typeof value === 'function') return `\`${value.name || 'anonymous'}\` (function)`;
  if (typeof value === 'symbol') return `\`${value.toString()}\` (symbol)`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as object).constructor;
  return ctor && ctor !== Object
    ? `an instance of ${ctor.name || 'an anonymous class'}`
    : 'an object';
}

function fail(
  Kind: typeof OptionTypeError | typeof OptionRangeError,
  name: string,
  expected: string,
  value: unknown,
): never {
  throw new Kind(`Expected \`${name}\` to be ${expected}, got ${describeValue(value)}`, name);
}

/** Throw the standard message for a value of the wrong type (`range: true` for a value out of range). */
export function invalid(
  name: string,
  expected: string,
  value: unknown,
  { range = false } = {},
): never {
  fail(range ? OptionRangeError : OptionTypeError, name, expected, value);
}

export interface IntegerBounds {
  min?: number;
  max?: number;
}

function boundsText({ min, max }: IntegerBounds): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

/** A finite integer within bounds. Non-numbers are a TypeError; NaN, fractions and out-of-range values a RangeError. */
export function checkInteger(name: string, value: unknown, bounds: IntegerBounds = {}): number {
  const expected = `an integer${boundsText(bounds)}`;
  if (typeof value !== 'number') fail(OptionTypeError, name, expected, value);
  if (!Number.isInteger(value)) fail(OptionRangeError, name, expected, value);
  if (bounds.min !== undefined && value < bounds.min) fail(OptionRangeError, name, expected, value);
  if (bounds.max !== undefined && value > bounds.max) fail(OptionRangeError, name, expected, value);
  return value;
}

/** A finite number within bounds (fractions allowed). */
export function checkNumber(name: string, value: unknown, bounds: IntegerBounds = {}): number {
  const expected = `a finite number${boundsText(bounds)}`;
  if (typeof value !== 'number') fail(OptionTypeError, name, expected, value);
  if (!Number.isFinite(value)) fail(OptionRangeError, name, expected, value);
  if (bounds.min !== undefined && value < bounds.min) fail(OptionRangeError, name, expected, value);
  if (bounds.max !== undefined && value > bounds.max) fail(OptionRangeError, name, expected, value);
  return value;
}

export function checkString(name: string, value: unknown, { nonEmpty = true } = {}): string {
  if (typeof value !== 'string') fail(OptionTypeError, name, 'a string', value);
  if (nonEmpty && value.trim() === '') fail(OptionRangeError, name, 'a non-empty string', value);
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(OptionTypeError, name, 'a boolean', value);
  return value;
}

export function checkFunction<T extends (...args: never[]) => unknown>(
  name: string,
  value: unknown,
): T {
  if (typeof value !== 'function') fail(OptionTypeError, name, 'a function', value);
  return value as T;
}

export function checkOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  const expected = `one of ${allowed.map((a) => `\`${a}\``).join(', ')}`;
  if (typeof value !== 'string') fail(OptionTypeError, name, expected, value);
  if (!(allowed as readonly string[]).includes(value))
    fail(OptionRangeError, name, expected, value);
  return value as T;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (!isPlainObject(value)) fail(OptionTypeError, name, 'a plain object', value);
  return value;
}

/** Unknown keys are almost always typos (`concurency`); say so, and suggest the closest known key. */
export function checkKnownKeys(
  where: string,
  value: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    throw new OptionTypeError(
      `Unknown option \`${key}\` in ${where}${suggestion ? `; did you mean \`${suggestion}\`?` : '.'} Known options: ${known
        .map((k) => `\`${k}\``)
        .join(', ')}`,
      key,
    );
  }
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
