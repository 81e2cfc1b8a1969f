import { PayloadTooLargeError, SerializationError } from './errors.js';

/**
 * Job data and results cross process boundaries as JSON, and JSON drops or
 * mangles some values without a word (functions vanish, `NaN` becomes `null`,
 * a `Map` becomes `{}`). Refusing them here, with the path of the bad value,
 * beats finding a half-empty payload in a worker an hour later.
 */
export function serialize(
  value: unknown,
  what: string,
  { maxBytes, path: root = what }: { maxBytes?: number; path?: string } = {},
): string {
  // Nothing to walk in the commonest results (null, a string): no map, no replacer.
  if (value === null || value === undefined || typeof value === 'string') {
    return checkSize(value == null ? 'null' : JSON.stringify(value), what, maxBytes);
  }
  // The common payload is plain data (objects, arrays, strings, finite numbers): checked
  // by a quick walk, it is stringified without a replacer, which V8 does several times
  // faster (a bulk add spent about a third of its CPU in the replacer). Anything else,
  // or a walk that throws (a getter), takes the careful path below, which says where
  // the bad value is.
  try {
    if (isPlainJson(value, 0)) return checkSize(JSON.stringify(value), what, maxBytes);
  } catch {
    // A getter threw: the careful path meets it again and reports it with its path.
  }
  // Each object's holder and key, so an error can say where the bad value is
  // (`data.pages[3].at`). The path string is only built for an error: this runs
  // for every value of every job added and every result.
  const parents = new Map<unknown, [holder: unknown, key: string]>();
  const pathOf = (holder: unknown, key: string): string => {
    const up = parents.get(holder);
    // JSON.stringify first calls the replacer with a wrapper holder and key '': that is the root.
    if (up === undefined) return root;
    const base = pathOf(up[0], up[1]);
    return Array.isArray(holder) ? `${base}[${key}]` : `${base}.${key}`;
  };
  function replacer(this: unknown, key: string, v: unknown): unknown {
    // `v` is what toJSON() made of the value; an invalid Date's toJSON() is null, so look at the original.
    const original = (this as Record<string, unknown>)[key];
    const problem =
      original instanceof Date && Number.isNaN(original.getTime())
        ? 'an invalid Date (JSON would store null)'
        : unsupported(v);
    if (problem) {
      const path = pathOf(this, key);
      throw new SerializationError(
        `${what} cannot be stored as JSON: \`${path}\` is ${problem}`,
        path,
      );
    }
    if (typeof v === 'object' && v !== null) parents.set(v, [this, key]);
    return v;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value === undefined ? null : value, replacer);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    // JSON.stringify's own failures: circular structures (V8 names the property that
    // closes the circle on the following lines), a throwing toJSON, depth.
    const message =
      error instanceof Error
        ? error.message
            .split('\n')
            .map((line) => line.trim())
            .join(' ')
        : String(error);
    throw new SerializationError(`${what} cannot be stored as JSON: ${message}`, root);
  }
  // Only a top-level function/symbol gets here as undefined; the replacer refuses those.
  return checkSize(json ?? 'null', what, maxBytes);
}

/**
 * `value` as JSON when it is plain data (an object or an array: see `isPlainJson`) of
 * at most `maxBytes`; else undefined, for `serialize` to decide and say what is
 * wrong. For many values at once: it takes no names for messages it never builds.
 */
export function serializePlain(value: unknown, maxBytes: number | undefined): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    if (!isPlainJson(value, 0)) return undefined;
  } catch {
    return undefined;
  }
  const text = JSON.stringify(value);
  return fits(text, maxBytes) ? text : undefined;
}

/** Deeper than this, the quick walk gives up (a cycle, or unusual data) and the careful path decides. */
const PLAIN_DEPTH = 64;

/**
 * Whether JSON stores `v` as it is: null, booleans, strings, finite numbers,
 * `undefined` (dropped, as the careful path allows), and arrays and objects of
 * those whose prototype is Object's (or null). A Date, a class instance, a
 * `toJSON`, a Map or a cycle is left to the careful path.
 */
function isPlainJson(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (v === null) return true;
      if (depth >= PLAIN_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!isPlainJson(v[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in v) {
        if (!isPlainJson((v as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function checkSize(text: string, what: string, maxBytes: number | undefined): string {
  if (!fits(text, maxBytes)) {
    throw new PayloadTooLargeError(what, Buffer.byteLength(text), maxBytes as number);
  }
  return text;
}

/** Whether `text` is at most `maxBytes` long in UTF-8: never more than 3 bytes per UTF-16 unit, so most are not counted. */
function fits(text: string, maxBytes: number | undefined): boolean {
  return (
    maxBytes === undefined || text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes
  );
}

function unsupported(v: unknown): string | undefined {
  switch (typeof v) {
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'bigint':
      return 'a BigInt (store it as a string)';
    case 'number':
      return Number.isFinite(v) ? undefined : `${String(v)} (JSON would store null)`;
    case 'object':
      if (v instanceof Map)
        return 'a Map (JSON would store {}; use an object or an array of entries)';
      if (v instanceof Set) return 'a Set (JSON would store {}; use an array)';
      if (v instanceof WeakMap || v instanceof WeakSet) return 'a WeakMap or WeakSet';
      return undefined;
    default:
      return undefined;
  }
}

/** Parse JSON that this library stored. JSON.parse never evaluates code or sets prototypes. */
export function deserialize<T = unknown>(text: string | null | undefined): T {
  if (text === null || text === undefined || text === '') return undefined as T;
  return JSON.parse(text) as T;
}
