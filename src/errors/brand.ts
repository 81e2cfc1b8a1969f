/**
 * Every error this library creates has a stable string `code` and a class of
 * its own, so callers can branch on `error.code`, on `instanceof`, or on the
 * class's `is()`.
 *
 * Two copies of this package in one process (a CLI and an app, two bundles,
 * a dependency pinned to another version) each have their own classes, so a
 * plain `instanceof` would tell a `RateLimitError` from the other copy apart
 * from this one's. Each class therefore carries a brand: its code, stored on
 * its prototype under `Symbol.for('redis-worker-pool.error')`, a key shared by
 * every copy. `instanceof` and `is()` accept any value whose prototype chain
 * holds the class's brand, so `MissingHandlerError` from another copy is an
 * `UnrecoverableError` here too. A class you derive yourself has no brand of
 * its own, so `instanceof` on it stays the ordinary check.
 */

/** The key of the brand; `Symbol.for`, so every copy of the package shares it. */
const BRAND: unique symbol = Symbol.for('redis-worker-pool.error') as never;

type Branded = { readonly [BRAND]?: string };

/** Put `code` on the class's prototype as its brand (non-enumerable, read-only). */
export function brand(target: { prototype: object }, code: string): void {
  Object.defineProperty(target.prototype, BRAND, { value: code });
}

/** The codes branded along `value`'s prototype chain, nearest first; never throws. */
function brandsOf(value: unknown): string[] {
  const codes: string[] = [];
  try {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return codes;
    // A chain longer than this is not an error of ours (and a cyclic proxy must not hang us).
    let proto = Object.getPrototypeOf(value) as object | null;
    for (let depth = 0; proto !== null && depth < 32; depth++) {
      if (Object.prototype.hasOwnProperty.call(proto, BRAND)) {
        const code = (proto as Branded)[BRAND];
        if (typeof code === 'string') codes.push(code);
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
  } catch {
    // A proxy whose traps throw is no error of ours.
  }
  return codes;
}

/** True when `value` is an instance, from any copy of this package, of the class branded `code`. */
export function hasBrand(value: unknown, code: string): boolean {
  return brandsOf(value).includes(code);
}

/** The brand of a class of ours (own, not inherited), or undefined for a class derived by a user. */
function ownBrand(target: unknown): string | undefined {
  if (typeof target !== 'function') return undefined;
  const proto = (target as { prototype?: unknown }).prototype;
  if (typeof proto !== 'object' || proto === null) return undefined;
  return Object.prototype.hasOwnProperty.call(proto, BRAND) ? (proto as Branded)[BRAND] : undefined;
}

/** `instanceof` for a branded class: the ordinary check, or the brand for a class of ours. */
export function brandedInstanceOf(target: unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(target, value)) return true;
  const code = ownBrand(target);
  return code !== undefined && hasBrand(value, code);
}

/** The code of the nearest branded class of `target` (the class being constructed). */
export function codeOf(target: unknown): string {
  let current = target;
  for (let depth = 0; typeof current === 'function' && depth < 32; depth++) {
    const code = ownBrand(current);
    if (code !== undefined) return code;
    current = Object.getPrototypeOf(current) as unknown;
  }
  return 'ERR_WORKER_POOL';
}

/** The options every error class takes: the error that caused it. */
export interface ErrorOptions {
  cause?: unknown;
}
