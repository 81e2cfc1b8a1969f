/**
 * Scrub Redis credentials from errors before they leave the library. ioredis
 * hangs the failed command on its errors (`error.command.args`), and for the
 * handshake that is `HELLO 3 AUTH <user> <password>` or `AUTH <password>`; the
 * same error object reaches `error` listeners, the `cause` of
 * `ERR_REDIS_UNAVAILABLE` and the rejections of commands queued meanwhile. A
 * logger that prints the whole error (`console.error`, pino, Sentry) would
 * print the password.
 */

const HIDDEN = '[redacted]';

/** `redis://user:password@host` -> `redis://[redacted]@host`. */
const URL_CREDENTIALS = /\b(rediss?:\/\/)[^@\s/]+@/gi;

/** Command arguments that carry a secret, by command name (lower case). */
function secretArgIndexes(name: string, args: readonly unknown[]): number[] {
  switch (name) {
    case 'auth':
      // AUTH <password> or AUTH <user> <password>: the user name is no secret, but hide both.
      return args.map((_, i) => i);
    case 'hello': {
      // HELLO <protover> [AUTH <user> <password>] [SETNAME <name>]
      const at = args.findIndex((arg) => String(arg).toUpperCase() === 'AUTH');
      return at === -1 ? [] : [at + 1, at + 2].filter((i) => i < args.length);
    }
    case 'migrate': {
      // MIGRATE ... AUTH <password> | AUTH2 <user> <password>
      const at = args.findIndex((arg) => /^AUTH2?$/i.test(String(arg)));
      if (at === -1) return [];
      const count = String(args[at]).toUpperCase() === 'AUTH2' ? 2 : 1;
      return Array.from({ length: count }, (_, k) => at + 1 + k).filter((i) => i < args.length);
    }
    default:
      return [];
  }
}

function errorsInside(error: object): unknown[] {
  const e = error as {
    cause?: unknown;
    previousErrors?: unknown;
    lastNodeError?: unknown;
    errors?: unknown;
  };
  const inner: unknown[] = [e.cause, e.lastNodeError];
  for (const list of [e.previousErrors, e.errors]) if (Array.isArray(list)) inner.push(...list);
  return inner;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Each error of the tree once (causes can loop). */
function collect(error: unknown, seen = new Set<object>()): Set<object> {
  if (!isObject(error) || seen.has(error)) return seen;
  seen.add(error);
  for (const inner of errorsInside(error)) collect(inner, seen);
  return seen;
}

function scrubText(text: string, secrets: readonly string[]): string {
  let out = text.replace(URL_CREDENTIALS, `$1${HIDDEN}@`);
  for (const secret of secrets) out = out.split(secret).join(HIDDEN);
  return out;
}

/** Set a property, whether it is own, inherited or read-only; never throws. */
function set(target: object, key: string, value: unknown): void {
  try {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      configurable: true,
      enumerable: Object.prototype.propertyIsEnumerable.call(target, key),
    });
  } catch {
    // A frozen object: leave it (it cannot have been given a password by ioredis either).
  }
}

/**
 * Remove credentials from `error` in place, and from every error inside it
 * (`cause`, ioredis' `previousErrors`, a cluster's `lastNodeError`, an
 * `AggregateError`'s `errors`): the arguments of `AUTH`, `HELLO ... AUTH`
 * and `MIGRATE ... AUTH` in `command.args`, the user and password of
 * `redis://` URLs in messages and stacks, and any password so found wherever
 * it appears in a message or a stack. In place, because the same object may
 * already be on its way to other callers (ioredis rejects queued commands
 * with it). Returns `error`; never throws.
 */
export function redactError<T>(error: T): T {
  try {
    const errors = collect(error);
    const secrets = new Set<string>();
    for (const e of errors) {
      const command = (e as { command?: { name?: unknown; args?: unknown } }).command;
      if (!isObject(command) || !Array.isArray(command.args)) continue;
      const indexes = secretArgIndexes(String(command.name ?? '').toLowerCase(), command.args);
      if (indexes.length === 0) continue;
      const args = [...(command.args as unknown[])];
      for (const i of indexes) {
        const value = args[i];
        if (typeof value === 'string' && value.length >= 3) secrets.add(value);
        else if (Buffer.isBuffer(value) && value.length >= 3) secrets.add(value.toString());
        args[i] = HIDDEN;
      }
      set(e, 'command', { ...command, args });
    }
    const list = [...secrets];
    for (const e of errors) {
      for (const key of ['message', 'stack'] as const) {
        const text = (e as Record<string, unknown>)[key];
        if (typeof text !== 'string') continue;
        const clean = scrubText(text, list);
        if (clean !== text) set(e, key, clean);
      }
    }
  } catch {
    // A hostile error (a throwing getter): nothing of ioredis', so nothing to scrub.
  }
  return error;
}
