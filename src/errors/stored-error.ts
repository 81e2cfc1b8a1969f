/** The serialised form of a failed attempt's error, as stored with the job. */
export interface StoredError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** Serialise an error for storage with the job; never throws. */
export function toStoredError(error: Error): StoredError {
  // Each property on its own: an error with a throwing getter still stores what it can.
  const read = (get: () => unknown): unknown => {
    try {
      return get();
    } catch {
      return undefined;
    }
  };
  const name = read(() => error.name);
  const message = read(() => error.message);
  const stored: StoredError = {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(read(() => String(message)) ?? ''),
  };
  const code = read(() => (error as { code?: unknown }).code);
  if (typeof code === 'string' || typeof code === 'number') stored.code = String(code);
  const stack = read(() => error.stack);
  if (typeof stack === 'string') stored.stack = stack.split('\n').slice(0, 12).join('\n');
  return stored;
}
