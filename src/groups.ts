import { OptionRangeError } from './errors.js';
import { checkString, describeValue } from './validate.js';

/** Largest group name, in bytes of UTF-8 (it becomes part of Redis keys). */
export const MAX_GROUP_BYTES = 256;

/** A group name: a non-empty string of at most 256 bytes, without braces (they would read as a hash tag). */
export function checkGroup(name: string, value: unknown): string {
  const group = checkString(name, value);
  if (Buffer.byteLength(group, 'utf8') > MAX_GROUP_BYTES) {
    throw new OptionRangeError(
      `Expected \`${name}\` to be at most ${MAX_GROUP_BYTES} bytes long, got ${describeValue(value)}`,
      name,
    );
  }
  if (/[{}]/.test(group)) {
    throw new OptionRangeError(
      `Expected \`${name}\` to be a group name without braces, got ${describeValue(value)}`,
      name,
    );
  }
  return group;
}
