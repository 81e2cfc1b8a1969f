import { describe, it, expect } from 'vitest';
import { PayloadTooLargeError, SerializationError } from '../../src/errors.js';
import { deserialize, serialize, serializePlain } from '../../src/serialize.js';
import { catchError } from './catch-error.js';

function refusal(value: unknown, what = 'data'): SerializationError {
  const error = catchError(() => serialize(value, what));
  expect(error).toBeInstanceOf(SerializationError);
  return error as SerializationError;
}

describe('serialize accepts what JSON keeps', () => {
  it('stores nested objects and arrays', () => {
    const value = { a: [1, 'two', [3, { four: 4 }]], b: { c: null, d: true } };
    const text = serialize(value, 'data');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('stores a Date as its ISO string', () => {
    const at = new Date('2024-05-01T12:00:00.000Z');
    expect(serialize({ at }, 'data')).toBe('{"at":"2024-05-01T12:00:00.000Z"}');
  });

  it('drops undefined properties, as JSON does', () => {
    expect(serialize({ a: 1, b: undefined }, 'data')).toBe('{"a":1}');
  });

  it('stores undefined itself as null', () => {
    expect(serialize(undefined, 'data')).toBe('null');
  });

  it('stores primitives', () => {
    expect(serialize('text', 'data')).toBe('"text"');
    expect(serialize(0, 'data')).toBe('0');
    expect(serialize(false, 'data')).toBe('false');
    expect(serialize(null, 'data')).toBe('null');
  });

  it('stores an object used twice that is not circular', () => {
    const shared = { x: 1 };
    expect(serialize({ a: shared, b: [shared] }, 'data')).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('uses toJSON', () => {
    const value = { money: { toJSON: () => '12.50 EUR' } };
    expect(serialize(value, 'data')).toBe('{"money":"12.50 EUR"}');
  });
});

describe('serialize refuses what JSON would lose, naming where', () => {
  it.each([
    ['a function', { fn: () => 1 }, 'data.fn', 'a function'],
    ['a symbol', { s: Symbol('x') }, 'data.s', 'a symbol'],
    ['a BigInt', { n: 10n }, 'data.n', 'a BigInt (store it as a string)'],
    ['NaN', { n: NaN }, 'data.n', 'NaN (JSON would store null)'],
    ['Infinity', { n: Infinity }, 'data.n', 'Infinity (JSON would store null)'],
    ['-Infinity', { n: -Infinity }, 'data.n', '-Infinity (JSON would store null)'],
    [
      'a Map',
      { m: new Map([[1, 2]]) },
      'data.m',
      'a Map (JSON would store {}; use an object or an array of entries)',
    ],
    ['a Set', { s: new Set([1]) }, 'data.s', 'a Set (JSON would store {}; use an array)'],
    ['a WeakMap', { w: new WeakMap() }, 'data.w', 'a WeakMap or WeakSet'],
  ])('%s', (_kind, value, path, problem) => {
    const error = refusal(value);
    expect(error.message).toBe(`data cannot be stored as JSON: \`${path}\` is ${problem}`);
    expect(error.path).toBe(path);
    expect(error.code).toBe('ERR_NOT_SERIALIZABLE');
  });

  it('names the path through arrays and objects', () => {
    const value = { items: [{ at: 1 }, { at: 2 }, { at: () => 3 }] };
    const error = refusal(value);
    expect(error.path).toBe('data.items[2].at');
    expect(error.message).toBe('data cannot be stored as JSON: `data.items[2].at` is a function');
  });

  it('names the path through nested arrays', () => {
    expect(
      refusal([
        [1, 2],
        [3, NaN],
      ]).path,
    ).toBe('data[1][1]');
  });

  it('names the value itself when it is the problem', () => {
    const error = refusal(() => 1, 'The handler result');
    expect(error.path).toBe('The handler result');
    expect(error.message).toBe(
      'The handler result cannot be stored as JSON: `The handler result` is a function',
    );
    expect(refusal(5n).path).toBe('data');
    expect(refusal(Symbol('s')).path).toBe('data');
    expect(refusal(NaN).path).toBe('data');
  });

  it('refuses a bad value returned by toJSON', () => {
    expect(refusal({ x: { toJSON: () => 1n } }).path).toBe('data.x');
  });

  it('refuses a circular structure', () => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    const error = refusal({ wrapper: value });
    expect(error.message).toMatch(/^data cannot be stored as JSON: .*circular/i);
    // V8's detail of where the circle closes is kept.
    expect(error.message).toContain("property 'self' closes the circle");
    expect(error.path).toBe('data');
  });

  it('refuses an invalid Date, which JSON would store as null', () => {
    const error = refusal({ at: new Date(Number.NaN) });
    expect(error.message).toBe(
      'data cannot be stored as JSON: `data.at` is an invalid Date (JSON would store null)',
    );
  });

  it('names the path from the given root', () => {
    const error = catchError(() => serialize({ f: () => 1 }, 'Job data', { path: 'jobs[3].data' }));
    expect(error.message).toBe('Job data cannot be stored as JSON: `jobs[3].data.f` is a function');
  });

  it('reports a throwing toJSON', () => {
    const value = {
      toJSON() {
        throw new Error('no JSON today');
      },
    };
    const error = refusal(value);
    expect(error.message).toBe('data cannot be stored as JSON: no JSON today');
  });
});

describe('serialize: plain data and everything else give the same JSON', () => {
  it('stringifies plain data, data with a Date or a class instance, and data nested deeper than the quick walk alike', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    let deep: Record<string, unknown> = { leaf: [1, 'two', null, true] };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    const values = [
      { title: 'x', pages: [{ n: 1, text: 'a' }], nested: { ok: true, none: undefined } },
      { at: new Date(0), where: new Point(1, 2) },
      Object.assign(Object.create(null) as object, { a: 1 }),
      deep,
    ];
    for (const value of values) expect(serialize(value, 'data')).toBe(JSON.stringify(value));
  });

  it('still names a bad value nested in otherwise plain data, and a getter that throws', () => {
    expect(
      catchError(() => serialize({ pages: [{ n: 1 }, { n: Number.NaN }] }, 'data')).message,
    ).toMatch(/`data\.pages\[1\]\.n` is NaN/);
    const throwing = {
      get page(): never {
        throw new Error('no page');
      },
    };
    expect(catchError(() => serialize({ a: throwing }, 'data')).message).toMatch(/no page/);
  });
});

describe('serialize maxBytes', () => {
  it('refuses a payload over the limit with its size and the limit', () => {
    const value = { text: 'é'.repeat(10) }; // 2 bytes each in UTF-8
    const size = Buffer.byteLength(JSON.stringify(value));
    expect(size).toBe(31);
    const error = catchError(() => serialize(value, 'Job data', { maxBytes: 30 }));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.message).toBe(
      'Job data is 31 bytes once serialised, over the limit of 30 bytes (`maxPayloadSize`)',
    );
    expect((error as PayloadTooLargeError).size).toBe(31);
    expect((error as PayloadTooLargeError).limit).toBe(30);
    expect((error as PayloadTooLargeError).code).toBe('ERR_PAYLOAD_TOO_LARGE');
  });

  it('accepts a payload exactly at the limit', () => {
    expect(serialize({ text: 'é'.repeat(10) }, 'Job data', { maxBytes: 31 })).toHaveLength(21);
  });

  it('counts bytes, not characters', () => {
    expect(() => serialize('ééé', 'Job data', { maxBytes: 5 })).toThrow(PayloadTooLargeError);
    expect(serialize('eee', 'Job data', { maxBytes: 5 })).toBe('"eee"');
  });
});

describe('deserialize', () => {
  it('round-trips what serialize stored', () => {
    const value = { a: [1, { b: 'c' }], d: null };
    expect(deserialize(serialize(value, 'data'))).toEqual(value);
  });

  it('gives undefined for nothing stored', () => {
    expect(deserialize(null)).toBeUndefined();
    expect(deserialize(undefined)).toBeUndefined();
    expect(deserialize('')).toBeUndefined();
  });

  it('throws on corrupt JSON', () => {
    expect(() => deserialize('{nope')).toThrow(SyntaxError);
  });

  it('does not pollute Object.prototype through __proto__ or constructor keys', () => {
    const text =
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted2":true}},' +
      '"nested":{"__proto__":{"polluted3":true}}}';
    const value = deserialize<Record<string, unknown>>(text);
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.polluted2).toBeUndefined();
    expect(probe.polluted3).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor', 'nested']);
    // The key is an own data property, not the object's prototype.
    expect(Object.getPrototypeOf(value.nested)).toBe(Object.prototype);
    expect(Object.hasOwn(value.nested as object, '__proto__')).toBe(true);
  });
});

describe('serializePlain', () => {
  it('gives the JSON of plain data within the size, as serialize does', () => {
    const value = { a: [1, 'b', null, { c: true }], d: undefined };
    expect(serializePlain(value, undefined)).toBe(serialize(value, 'Job data'));
    expect(serializePlain({ text: 'é'.repeat(10) }, 31)).toHaveLength(21);
  });

  it('leaves to serialize what it would refuse or has to look at closely', () => {
    expect(serializePlain({ at: new Date(0) }, undefined)).toBeUndefined();
    expect(serializePlain({ n: Number.NaN }, undefined)).toBeUndefined();
    expect(serializePlain({ f: () => 1 }, undefined)).toBeUndefined();
    expect(serializePlain('text', undefined)).toBeUndefined();
    expect(serializePlain(null, undefined)).toBeUndefined();
    // 31 bytes of UTF-8 in 21 characters: over 30 though 21 x 3 is not under it.
    expect(serializePlain({ text: 'é'.repeat(10) }, 30)).toBeUndefined();
    expect(serializePlain({ text: 'e'.repeat(10) }, 20)).toBeUndefined();
  });
});
