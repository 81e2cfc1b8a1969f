import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobFailedError,
  NonErrorThrownError,
  OptionRangeError,
  OptionTypeError,
  Queue,
  WorkerPool,
  optionsFromEnv,
} from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { memoryLogger, sleep, uniquePrefix, until } from '../support/redis.js';

// Every option of every public entry point, tried with every kind of bad value, through the
// public API (constructors, add(), close(), waits, reads), not the resolve functions alone.
// Each error must be an OptionTypeError (wrong type, unknown key) or OptionRangeError (right
// type, bad value) whose `option` is the option's name and whose message is
// ``Expected `<name>` to be <expected>, got <the value>``.

const MAX_TIMER = 2 ** 31 - 1;
function myFn() {}

/** How a message shows a value, written out independently of the library's describeValue(). */
function shown(value: unknown): string {
  if (value === null) return '`null`';
  if (typeof value === 'string')
    return value === '' ? '`""` (empty string)' : `\`${value}\` (string)`;
  if (typeof value === 'bigint') return `\`${value}n\` (bigint)`;
  if (typeof value === 'symbol') return `\`${value.toString()}\` (symbol)`;
  if (typeof value === 'function') return `\`${value.name}\` (function)`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor;
    return ctor === Object ? 'an object' : `an instance of ${ctor.name}`;
  }
  return `\`${String(value)}\` (${typeof value})`;
}

type Kind = typeof OptionTypeError | typeof OptionRangeError;
interface Bad {
  value: unknown;
  Kind: Kind;
  expected: string;
}

const WRONG_TYPES: unknown[] = ['5', '', '   ', true, null, {}, [], myFn, Symbol('x'), 5n];

/** Bad values for an integer option: every wrong type, NaN, ±Infinity, a fraction, each side of its bounds. */
function isPlainObject(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

function badIntegers(min: number, max?: number): Bad[] {
  const expected = max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  const range = [
    NaN,
    Infinity,
    -Infinity,
    min - 1,
    min + 0.5,
    ...(max === undefined ? [] : [max + 1]),
  ];
  return [
    ...WRONG_TYPES.map((value) => ({ value, Kind: OptionTypeError as Kind, expected })),
    ...range.map((value) => ({ value, Kind: OptionRangeError as Kind, expected })),
  ];
}

function badNumbers(min: number, max: number): Bad[] {
  const expected = `a finite number from ${min} to ${max}`;
  return [
    ...WRONG_TYPES.map((value) => ({ value, Kind: OptionTypeError as Kind, expected })),
    ...[NaN, Infinity, -Infinity, min - 0.001, max + 0.001].map((value) => ({
      value,
      Kind: OptionRangeError as Kind,
      expected,
    })),
  ];
}

function badStrings(): Bad[] {
  return [
    ...[5, true, null, {}, [], myFn, Symbol('x'), 5n].map((value) => ({
      value,
      Kind: OptionTypeError as Kind,
      expected: 'a string',
    })),
    ...['', '   ', '\t\n'].map((value) => ({
      value,
      Kind: OptionRangeError as Kind,
      expected: 'a non-empty string',
    })),
  ];
}

function badOfType(expected: string, values: unknown[]): Bad[] {
  return values.map((value) => ({ value, Kind: OptionTypeError as Kind, expected }));
}

const NOT_FUNCTIONS = ['label', '', 5, true, null, {}, [], Symbol('x'), 5n];
const NOT_OBJECTS = ['5', '', 5, true, null, [], myFn, Symbol('x'), 5n];
/** Not objects, and not numbers either (a number is the shorthand of a backoff). */
const MAX_COST = 1e15;
const NOT_OBJECTS_NOR_NUMBERS = NOT_OBJECTS.filter((v) => typeof v !== 'number');
const RETENTION = '`true`, `false`, a count, or `{ age, count }`';

let server: RedisServer;
let queue: Queue;
const handler = async () => 'ok';
const pool = (options: Record<string, unknown>) =>
  new WorkerPool('q', handler, { connection: server.url, logger: false, ...options } as never);
const newQueue = (options: Record<string, unknown>) => {
  const q = new Queue('q', { connection: server.url, logger: false, ...options } as never);
  void q.close();
  return q;
};

/** [surface, option name as the message gives it, bad values, how to pass a value]. */
type Row = [string, string, Bad[], (value: unknown) => unknown];

const jobOptionRows = (where: string, pass: (opts: Record<string, unknown>) => unknown): Row[] => [
  [where, `${where}.delay`, badIntegers(0, MAX_TIMER), (v) => pass({ delay: v })],
  [where, `${where}.attempts`, badIntegers(1, 1_000_000), (v) => pass({ attempts: v })],
  [where, `${where}.timeout`, badIntegers(1, MAX_TIMER), (v) => pass({ timeout: v })],
  [where, `${where}.cost`, badIntegers(0, MAX_COST), (v) => pass({ cost: v })],
  [
    where,
    `${where}.backoff`,
    [
      ...badIntegers(0, MAX_TIMER).filter((b) => typeof b.value === 'number'),
      ...badOfType('a plain object', NOT_OBJECTS_NOR_NUMBERS),
    ],
    (v) => pass({ backoff: v }),
  ],
  [
    where,
    `${where}.backoff.delay`,
    badIntegers(0, MAX_TIMER),
    (v) => pass({ backoff: { delay: v } }),
  ],
  [
    where,
    `${where}.backoff.maxDelay`,
    badIntegers(0, MAX_TIMER),
    (v) => pass({ backoff: { maxDelay: v } }),
  ],
  [where, `${where}.backoff.jitter`, badNumbers(0, 1), (v) => pass({ backoff: { jitter: v } })],
  [
    where,
    `${where}.group`,
    [
      ...badStrings(),
      // (A name over 256 bytes is tested in test/integration/groups.test.ts: too long to show whole.)
      ...['{x}', 'a}', '{:}'].map((value) => ({
        value,
        Kind: OptionRangeError as Kind,
        expected: 'a group name without braces',
      })),
    ],
    (v) => pass({ group: v }),
  ],
  [
    where,
    `${where}.backoff.type`,
    [
      ...badOfType('one of `exponential`, `fixed`', [5, null, true, {}, []]),
      ...['linear', '', 'Fixed'].map((value) => ({
        value,
        Kind: OptionRangeError as Kind,
        expected: 'one of `exponential`, `fixed`',
      })),
    ],
    (v) => pass({ backoff: { type: v } }),
  ],
  ...(['removeOnComplete', 'removeOnFail'] as const).flatMap((field): Row[] => [
    [
      where,
      `${where}.${field}`,
      [
        ...badIntegers(0).filter((b) => typeof b.value === 'number'),
        ...badOfType(RETENTION, ['5', '', null, [], myFn, Symbol('x'), 5n]),
      ],
      (v) => pass({ [field]: v }),
    ],
    [where, `${where}.${field}.age`, badIntegers(0), (v) => pass({ [field]: { age: v } })],
    [where, `${where}.${field}.count`, badIntegers(0), (v) => pass({ [field]: { count: v } })],
  ]),
];

const ROWS = (): Row[] => [
  // new WorkerPool(name, handlers, options)
  [
    'WorkerPool',
    'concurrency',
    // A plain object is the adaptive range: its rows follow.
    badIntegers(1, 10_000).filter((bad) => !isPlainObject(bad.value)),
    (v) => pool({ concurrency: v }),
  ],
  [
    'WorkerPool',
    'concurrency.max',
    badIntegers(1, 10_000).filter((bad) => bad.value !== undefined),
    (v) => pool({ concurrency: { max: v } }),
  ],
  [
    'WorkerPool',
    'concurrency.min',
    badIntegers(1, 10_000).filter((bad) => bad.value !== undefined),
    (v) => pool({ concurrency: { min: v, max: 10_000 } }),
  ],
  ['WorkerPool', 'processingDelay', badIntegers(0, MAX_TIMER), (v) => pool({ processingDelay: v })],
  ['WorkerPool', 'timeout', badIntegers(1, MAX_TIMER), (v) => pool({ timeout: v })],
  ['WorkerPool', 'pollInterval', badIntegers(10, MAX_TIMER), (v) => pool({ pollInterval: v })],
  ['WorkerPool', 'attempts', badIntegers(1, 1_000_000), (v) => pool({ attempts: v })],
  ['WorkerPool', 'leaseDuration', badIntegers(50, MAX_TIMER), (v) => pool({ leaseDuration: v })],
  ['WorkerPool', 'gracePeriod', badIntegers(0, MAX_TIMER), (v) => pool({ gracePeriod: v })],
  ['WorkerPool', 'statsInterval', badIntegers(0, MAX_TIMER), (v) => pool({ statsInterval: v })],
  [
    'WorkerPool',
    'progressInterval',
    badIntegers(0, MAX_TIMER),
    (v) => pool({ progressInterval: v }),
  ],
  [
    'WorkerPool',
    'limiter',
    // An array is a list of windows: an empty one is a range error, tested with the cost windows.
    badOfType('a plain object', NOT_OBJECTS).filter((bad) => !Array.isArray(bad.value)),
    (v) => pool({ limiter: v }),
  ],
  ['WorkerPool', 'group', badOfType('a plain object', NOT_OBJECTS), (v) => pool({ group: v })],
  [
    'WorkerPool',
    'group.concurrency',
    badIntegers(1, 1_000_000),
    (v) => pool({ group: { concurrency: v } }),
  ],
  [
    'WorkerPool',
    'group.limiter.max',
    badIntegers(1, 1_000_000),
    (v) => pool({ group: { limiter: { max: v, duration: 1000 } } }),
  ],
  [
    'WorkerPool',
    'maxRateLimitHold',
    badIntegers(1, MAX_TIMER),
    (v) => pool({ maxRateLimitHold: v }),
  ],
  [
    'WorkerPool',
    'limiter.max',
    badIntegers(1, 1_000_000),
    (v) => pool({ limiter: { max: v, duration: 1000 } }),
  ],
  [
    'WorkerPool',
    'limiter.duration',
    badIntegers(1, MAX_TIMER),
    (v) => pool({ limiter: { max: 1, duration: v } }),
  ],
  [
    'WorkerPool',
    'backoff',
    [
      ...badIntegers(0, MAX_TIMER).filter((b) => typeof b.value === 'number'),
      ...badOfType('a plain object', NOT_OBJECTS_NOR_NUMBERS),
    ],
    (v) => pool({ backoff: v }),
  ],
  [
    'WorkerPool',
    'backoff.delay',
    badIntegers(0, MAX_TIMER),
    (v) => pool({ backoff: { delay: v } }),
  ],
  [
    'WorkerPool',
    'backoff.maxDelay',
    badIntegers(0, MAX_TIMER),
    (v) => pool({ backoff: { maxDelay: v } }),
  ],
  ['WorkerPool', 'backoff.jitter', badNumbers(0, 1), (v) => pool({ backoff: { jitter: v } })],
  ['WorkerPool', 'prefix', badStrings(), (v) => pool({ prefix: v })],
  [
    'WorkerPool',
    'prefix',
    ['a{b}', 'my app', 'tab\there', '}'].map((value) => ({
      value,
      Kind: OptionRangeError as Kind,
      expected: 'a string without braces or white space',
    })),
    (v) => pool({ prefix: v }),
  ],
  ['WorkerPool', 'jobLabel', badOfType('a function', NOT_FUNCTIONS), (v) => pool({ jobLabel: v })],
  [
    'WorkerPool',
    'logger',
    badOfType('an object with `info`, `warn` and `error` methods, or `false`', [
      true,
      null,
      5,
      'console',
      [],
      {},
      myFn,
      { info: myFn, warn: myFn },
      { info: myFn, warn: myFn, error: 'stderr' },
    ]),
    (v) => pool({ logger: v }),
  ],
  [
    'WorkerPool',
    'connection',
    badOfType('a redis:// or rediss:// URL, ioredis options or an ioredis client', [
      5,
      true,
      null,
      [],
      myFn,
      Symbol('x'),
      5n,
    ]),
    (v) => pool({ connection: v }),
  ],
  [
    'WorkerPool',
    'options',
    badOfType(
      'a plain object',
      NOT_OBJECTS.filter((v) => v !== undefined),
    ),
    (v) => new WorkerPool('q', handler, v as never),
  ],
  [
    'WorkerPool',
    'name',
    badStrings(),
    (v) => new WorkerPool(v as string, handler, { logger: false }),
  ],
  [
    'WorkerPool',
    'handlers',
    badOfType('a function or an object of functions by job name', [
      'page',
      5,
      null,
      [],
      true,
      new Map(),
    ]).map((b) => ({ ...b, value: b.value })),
    (v) => new WorkerPool('q', v as never, { logger: false }),
  ],
  // new Queue(name, options)
  [
    'Queue',
    'maxPayloadSize',
    badIntegers(1, 512 * 1024 * 1024),
    (v) => newQueue({ maxPayloadSize: v }),
  ],
  ['Queue', 'prefix', badStrings(), (v) => newQueue({ prefix: v })],
  [
    'Queue',
    'defaultJobOptions',
    badOfType('a plain object', NOT_OBJECTS),
    (v) => newQueue({ defaultJobOptions: v }),
  ],
  ['Queue', 'options', badOfType('a plain object', NOT_OBJECTS), (v) => new Queue('q', v as never)],
  ['Queue', 'name', badStrings(), (v) => new Queue(v as string, { logger: false })],
  ...jobOptionRows('defaultJobOptions', (o) => newQueue({ defaultJobOptions: o })),
  // queue.add(name, data, opts) and addBulk()
  [
    'add',
    'opts',
    badOfType('a plain object', NOT_OBJECTS),
    (v) => queue.add('page', {}, v as never),
  ],
  ...jobOptionRows('opts', (o) => queue.add('page', {}, o as never)),
  ['add', 'opts.jobId', badStrings(), (v) => queue.add('page', {}, { jobId: v as string })],
  [
    'add',
    'opts.cache',
    badOfType('a plain object', NOT_OBJECTS),
    (v) => queue.add('page', {}, { cache: v as never }),
  ],
  [
    'add',
    'opts.cache.key',
    badStrings(),
    (v) => queue.add('page', {}, { cache: { key: v as string, ttl: 1000 } }),
  ],
  [
    'add',
    'opts.cache.ttl',
    badIntegers(1, Number.MAX_SAFE_INTEGER),
    (v) => queue.add('page', {}, { cache: { key: 'k', ttl: v as number } }),
  ],
  ['add', 'name', badStrings(), (v) => queue.add(v as string, {})],
  [
    'addBulk',
    'jobs[1].opts.attempts',
    badIntegers(1, 1_000_000),
    (v) =>
      queue.addBulk([
        { name: 'page', data: {} },
        { name: 'page', data: {}, opts: { attempts: v as number } },
      ]),
  ],
  [
    'addBulk',
    'jobs[1].name',
    badStrings(),
    (v) =>
      queue.addBulk([
        { name: 'page', data: {} },
        { name: v as string, data: {} },
      ]),
  ],
  // queue.addBatch(jobs, options)
  [
    'addBatch',
    'batch options',
    badOfType('a plain object', NOT_OBJECTS),
    (v) => queue.addBatch([{ name: 'page', data: {} }], v as never),
  ],
  [
    'addBatch',
    'batchId',
    badStrings(),
    (v) => queue.addBatch([{ name: 'page', data: {} }], { batchId: v as string }),
  ],
  [
    'addBatch',
    'ttl',
    badIntegers(1, 10 * 365 * 24 * 3600),
    (v) => queue.addBatch([{ name: 'page', data: {} }], { ttl: v as number }),
  ],
  // addBatch(jobs, { then }): the job added when the batch ends
  [
    'addBatch',
    'then',
    badOfType('a plain object', NOT_OBJECTS),
    (v) => queue.addBatch([{ name: 'page', data: {} }], { then: v as never }),
  ],
  [
    'addBatch',
    'then.name',
    badStrings(),
    (v) => queue.addBatch([{ name: 'page', data: {} }], { then: { name: v as string } }),
  ],
  [
    'addBatch',
    'then.opts',
    badOfType('a plain object', NOT_OBJECTS),
    (v) => queue.addBatch([{ name: 'page', data: {} }], { then: { name: 'x', opts: v as never } }),
  ],
  ...jobOptionRows('then.opts', (o) =>
    queue.addBatch([{ name: 'page', data: {} }], { then: { name: 'x', opts: o } }),
  ),
  [
    'addBatch',
    'then.opts.jobId',
    badStrings(),
    (v) =>
      queue.addBatch([{ name: 'page', data: {} }], {
        then: { name: 'x', opts: { jobId: v as string } },
      }),
  ],
  // Waits and reads
  [
    'waitForResult',
    'timeout',
    badIntegers(1, MAX_TIMER),
    (v) => queue.waitForResult('1', { timeout: v as number }),
  ],
  [
    'waitForResult',
    'wait options',
    badOfType('a plain object', NOT_OBJECTS),
    (v) => queue.waitForResult('1', v as never),
  ],
  ['waitForResult', 'id', badStrings(), (v) => queue.waitForResult(v as string)],
  [
    'waitForBatch',
    'timeout',
    badIntegers(1, MAX_TIMER),
    (v) => queue.waitForBatch('b', { timeout: v as number }),
  ],
  [
    'waitForBatch',
    'onProgress',
    badOfType('a function', NOT_FUNCTIONS),
    (v) => queue.waitForBatch('b', { onProgress: v as never }),
  ],
  ['getJob', 'id', badStrings(), (v) => queue.getJob(v as string)],
  ['retryJob', 'id', badStrings(), (v) => queue.retryJob(v as string)],
  ['removeJob', 'id', badStrings(), (v) => queue.removeJob(v as string)],
  ['getBatch', 'id', badStrings(), (v) => queue.getBatch(v as string)],
  ['getJobs', 'start', badIntegers(0), (v) => queue.getJobs('waiting', { start: v as number })],
  [
    'getJobs',
    'limit',
    badIntegers(1, 10_000),
    (v) => queue.getJobs('waiting', { limit: v as number }),
  ],
  [
    'getJobs',
    'state',
    [
      ...badOfType('one of `waiting`, `delayed`, `active`, `completed`, `failed`', [5, null, {}]),
      ...['', 'done', 'Waiting'].map((value) => ({
        value,
        Kind: OptionRangeError as Kind,
        expected: 'one of `waiting`, `delayed`, `active`, `completed`, `failed`',
      })),
    ],
    (v) => queue.getJobs(v as never),
  ],
  [
    'getMetrics',
    'minutes',
    badIntegers(1, 60).filter((b) => b.value !== null),
    (v) => queue.getMetrics(v as number),
  ],
  // pool.close(options)
  // No upper bound in close(), unlike the pool option: see bad-input.pending.ts.
  [
    'close',
    'gracePeriod',
    badIntegers(0, MAX_TIMER),
    (v) => pool({}).close({ gracePeriod: v as number }),
  ],
  [
    'close',
    'force',
    badOfType('a boolean', ['true', 1, 0, null, {}, []]),
    (v) => pool({}).close({ force: v as boolean }),
  ],
];

async function outcome(call: () => unknown): Promise<unknown> {
  try {
    const value = call();
    if (value instanceof Promise) await value;
    if (value instanceof WorkerPool) await value.close();
    return undefined;
  } catch (error) {
    return error;
  }
}

beforeAll(async () => {
  server = await startRedisServer();
  queue = new Queue('q', { connection: server.url, prefix: uniquePrefix('bad'), logger: false });
});
afterAll(async () => {
  await queue?.close();
  await server?.stop();
});

describe('every option, every kind of bad value', () => {
  it('refuses each with an error naming the option and showing the value', async () => {
    const problems: string[] = [];
    let tried = 0;
    for (const [surface, option, bads, pass] of ROWS()) {
      for (const bad of bads) {
        tried++;
        const error = await outcome(() => pass(bad.value));
        const label = `${surface} ${option} = ${shown(bad.value)}`;
        if (!(error instanceof bad.Kind)) {
          problems.push(
            `${label}: expected ${bad.Kind.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : 'no error'}`,
          );
          continue;
        }
        const e = error as OptionTypeError | OptionRangeError;
        const message = `Expected \`${option}\` to be ${bad.expected}, got ${shown(bad.value)}`;
        if (e.message !== message) problems.push(`${label}: message ${JSON.stringify(e.message)}`);
        if (e.option !== option) problems.push(`${label}: option ${JSON.stringify(e.option)}`);
        const code =
          bad.Kind === OptionTypeError ? 'ERR_INVALID_OPTION' : 'ERR_OPTION_OUT_OF_RANGE';
        if (e.code !== code) problems.push(`${label}: code ${e.code}`);
      }
    }
    expect(problems).toEqual([]);
    expect(tried).toBeGreaterThan(900);
  });
});

describe('unknown keys', () => {
  /** [where the message says, how to pass an object with the extra key]. */
  const SURFACES = (): [string, (extra: Record<string, unknown>) => unknown][] => [
    ['WorkerPool options', (x) => pool(x)],
    ['Queue options', (x) => newQueue(x)],
    ['`defaultJobOptions`', (x) => newQueue({ defaultJobOptions: x })],
    ['`opts`', (x) => queue.add('page', {}, x as never)],
    ['`opts.removeOnComplete`', (x) => queue.add('page', {}, { removeOnComplete: x as never })],
    ['`backoff`', (x) => pool({ backoff: x })],
    ['`limiter`', (x) => pool({ limiter: { max: 1, duration: 1, ...x } })],
    ['close options', (x) => pool({}).close(x as never)],
    ['wait options', (x) => queue.waitForResult('1', x as never)],
    ['batch options', (x) => queue.addBatch([{ name: 'page', data: {} }], x as never)],
    ['`then`', (x) => queue.addBatch([{ name: 'page', data: {} }], { then: { name: 'x', ...x } })],
    [
      '`then.opts`',
      (x) => queue.addBatch([{ name: 'page', data: {} }], { then: { name: 'x', opts: x } }),
    ],
    ['getJobs options', (x) => queue.getJobs('waiting', x as never)],
  ];
  const KEYS = ['surely-not-an-option', '__proto__', 'constructor', 'toString', ''];

  it('refuses an unknown key on every options object, naming it and where it was', async () => {
    const problems: string[] = [];
    for (const [where, pass] of SURFACES()) {
      for (const key of KEYS) {
        // JSON.parse makes `__proto__` an own key, as options read from a config file would have it.
        const extra = JSON.parse(JSON.stringify({ [key]: 1 })) as Record<string, unknown>;
        const error = await outcome(() => pass(extra));
        const label = `${where} + ${JSON.stringify(key)}`;
        if (!(error instanceof OptionTypeError)) {
          problems.push(`${label}: ${error instanceof Error ? error.message : 'no error'}`);
          continue;
        }
        if (!error.message.startsWith(`Unknown option \`${key}\` in ${where}`))
          problems.push(`${label}: ${error.message}`);
        if (error.option !== key) problems.push(`${label}: option ${error.option}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('suggests the option a typo was meant to be', async () => {
    for (const [typo, meant, pass] of [
      ['concurency', 'concurrency', (x: Record<string, unknown>) => pool(x)],
      ['leaseDurration', 'leaseDuration', (x: Record<string, unknown>) => pool(x)],
      ['maxPayloadsize', 'maxPayloadSize', (x: Record<string, unknown>) => newQueue(x)],
      ['atempts', 'attempts', (x: Record<string, unknown>) => queue.add('page', {}, x as never)],
      ['gracePeriode', 'gracePeriod', (x: Record<string, unknown>) => pool({}).close(x as never)],
    ] as const) {
      const error = await outcome(() => pass({ [typo]: 1 }));
      expect((error as Error).message).toContain(`did you mean \`${meant}\`?`);
    }
  });

  it('has rows above for every option the library knows, so a new option cannot go untested', async () => {
    const known = async (call: () => unknown) => {
      const error = (await outcome(call)) as Error;
      return [
        ...(/Known options: (.*)$/.exec(error.message)?.[1] ?? '').matchAll(/`([^`]+)`/g),
      ].map((m) => m[1]!);
    };
    const rows = ROWS().map(([surface, option]) => `${surface} ${option}`);
    const covered = (surface: string, option: string) =>
      rows.some((r) => r === `${surface} ${option}` || r.startsWith(`${surface} ${option}.`));
    const missing: string[] = [];
    const poolKeys = await known(() => pool({ zzz: 1 }));
    expect(poolKeys).toEqual(
      expect.arrayContaining(['concurrency', 'leaseDuration', 'connection']),
    );
    for (const key of poolKeys) if (!covered('WorkerPool', key)) missing.push(`WorkerPool ${key}`);
    for (const key of await known(() => newQueue({ zzz: 1 })))
      if (!covered('Queue', key) && !covered('WorkerPool', key)) missing.push(`Queue ${key}`);
    for (const key of await known(() => queue.add('page', {}, { zzz: 1 } as never)))
      if (!covered('opts', `opts.${key}`) && !covered('add', `opts.${key}`))
        missing.push(`add opts ${key}`);
    for (const key of await known(() => newQueue({ defaultJobOptions: { zzz: 1 } })))
      if (!covered('defaultJobOptions', `defaultJobOptions.${key}`))
        missing.push(`defaultJobOptions ${key}`);
    expect(missing).toEqual([]);
  });
});

describe('environment variables: more values that are not integers', () => {
  const VARS = [
    ['CONCURRENT_WORKERS', 1, 10_000],
    ['PROCESSING_DELAY', 0, MAX_TIMER],
    ['GENERATION_TIMEOUT', 1, MAX_TIMER],
    ['POLL_INTERVAL', 10, MAX_TIMER],
    ['MAX_RETRIES', 0, 999_999],
  ] as const;
  // Digits of other scripts, separators, signs, radix prefixes, number syntax JavaScript would take.
  const VALUES = [
    '١٢',
    '１２',
    '1_000',
    '1,000',
    '+-1',
    '--1',
    '0x',
    '\t',
    '1 2',
    '5.',
    '.5',
    '0b1',
    '1n',
    '1e',
    'null',
  ];

  it('refuses each, naming the variable and showing the value', () => {
    const problems: string[] = [];
    for (const [name, min, max] of VARS) {
      for (const raw of VALUES) {
        const error = (() => {
          try {
            optionsFromEnv({ [name]: raw });
            return undefined;
          } catch (e) {
            return e;
          }
        })();
        const message = `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${shown(raw)}`;
        if (
          !(error instanceof OptionTypeError) ||
          error.message !== message ||
          error.option !== name
        )
          problems.push(`${name}=${JSON.stringify(raw)}: ${String(error)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('never echoes a Redis URL it refuses, whatever its shape', () => {
    for (const raw of [
      'http://admin:S3cret@cache:6379',
      'redis://admin:S3cret@',
      'S3cret',
      'cache:6379?password=S3cret',
      'rediss//admin:S3cret@cache',
      'unix:///run/redis.sock?password=S3cret',
    ]) {
      for (const name of ['REDIS_URL', 'REDIS_PUBLIC_URL']) {
        let error: unknown;
        try {
          optionsFromEnv({ [name]: raw });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(OptionTypeError);
        expect((error as Error).message).toMatch(
          new RegExp(`^Expected \`${name}\` to be a redis://`),
        );
        expect((error as Error).message).not.toContain('S3cret');
        expect((error as OptionTypeError).option).toBe(name);
      }
    }
  });
});

describe('handlers that misbehave, and the pool that must survive them', () => {
  let prefix: string;
  const open: { close(): Promise<unknown> }[] = [];
  const setup = (
    handle: (data: Record<string, unknown>, attempt: number) => unknown,
    options: Record<string, unknown> = {},
  ) => {
    prefix = uniquePrefix('misbehave');
    const q = new Queue('m', { connection: server.url, prefix, logger: false });
    const p = new WorkerPool(
      'm',
      (job, { attempt }) => handle(job.data as Record<string, unknown>, attempt) as never,
      {
        connection: server.url,
        prefix,
        logger: false,
        statsInterval: 0,
        attempts: 1,
        backoff: { delay: 10, jitter: 0 },
        ...options,
      } as never,
    );
    open.push(p, q);
    return { q, p };
  };
  afterAll(async () => {
    await Promise.all(open.map((o) => o.close()));
  });

  const failureOf = async (q: Queue, id: string) => {
    const error = await q.waitForResult(id, { timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    return (error as JobFailedError).jobError;
  };

  it('fails, with a readable error, a handler that throws values that are not Errors', async () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const thrown: [string, unknown, string][] = [
      ['undefined', undefined, 'undefined'],
      ['number', 42, '42'],
      ['object', { code: 429, retryAfter: 5 }, '{ code: 429, retryAfter: 5 }'],
      ['array', ['a', 'b'], "[ 'a', 'b' ]"],
      ['symbol', Symbol('s'), 'Symbol(s)'],
      ['function', myFn, '[Function: myFn]'],
      ['circular', circular, '<ref *1>'],
      ['error-like', { name: 'Error', message: 'looks like one' }, "message: 'looks like one'"],
    ];
    const { q, p } = setup((data) => {
      const entry = thrown.find(([kind]) => kind === data.kind);
      if (entry) throw entry[1];
      return 'fine';
    });
    await p.start();
    for (const [kind, , shownAs] of thrown) {
      const job = await q.add('page', { kind });
      const error = await failureOf(q, job.id);
      expect(error).toMatchObject({ name: 'NonErrorThrownError', code: 'ERR_NON_ERROR_THROWN' });
      expect(error.message).toMatch(/^Handler threw a non-Error value: /);
      expect(error.message).toContain(shownAs);
    }
    const ok = await q.add('page', { kind: 'none' });
    expect(await q.waitForResult(ok.id, { timeout: 10_000 })).toBe('fine');
    expect(p.stats()).toMatchObject({ failed: thrown.length, succeeded: 1, active: 0 });
    expect(NonErrorThrownError).toBeTypeOf('function');
  });

  it('retries, then fails, a handler whose own return value cannot be stored', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const results: [string, () => unknown, RegExp][] = [
      ['function', () => myFn, /`result` is a function/],
      ['bigint', () => 10n, /`result` is a BigInt/],
      ['nan', () => NaN, /`result` is NaN/],
      ['map', () => new Map([[1, 2]]), /`result` is a Map/],
      ['circular', () => circular, /circular/i],
      [
        'throwing toJSON',
        () => ({
          toJSON: () => {
            throw new Error('toJSON broke');
          },
        }),
        /toJSON broke/,
      ],
      [
        'throwing getter',
        () => ({
          get x() {
            throw new Error('getter broke');
          },
        }),
        /getter broke/,
      ],
    ];
    const { q, p } = setup(
      (data) => results.find(([kind]) => kind === data.kind)?.[1]() ?? 'fine',
      { attempts: 2 },
    );
    const retried: string[] = [];
    p.on('retrying', ({ job }) => retried.push(job.id));
    await p.start();
    for (const [kind, , message] of results) {
      const job = await q.add('page', { kind });
      const error = await failureOf(q, job.id);
      expect(error).toMatchObject({ code: 'ERR_NOT_SERIALIZABLE' });
      expect(error.message).toMatch(message);
      expect(retried).toContain(job.id);
    }
    const ok = await q.add('page', { kind: 'none' });
    expect(await q.waitForResult(ok.id, { timeout: 10_000 })).toBe('fine');
  });

  it('takes the first outcome of a handler whose thenable resolves twice and then rejects', async () => {
    const { q, p } = setup(() => ({
      then(resolve: (v: unknown) => void, reject: (e: unknown) => void) {
        resolve('first');
        resolve('second');
        reject(new Error('too late'));
      },
    }));
    await p.start();
    const job = await q.add('page', {});
    expect(await q.waitForResult(job.id, { timeout: 10_000 })).toBe('first');
    await sleep(100);
    expect(await q.getJob(job.id)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(p.stats()).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it('frees the only slot of a handler that never settles and ignores its signal, retries it, then fails it', async () => {
    const { q, p } = setup((data) => (data.hang ? new Promise(() => {}) : 'fine'), {
      concurrency: 1,
      timeout: 200,
      attempts: 2,
    });
    await p.start();
    const hang = await q.add('page', { hang: true });
    const after = await q.addBulk(Array.from({ length: 3 }, () => ({ name: 'page', data: {} })));
    const error = await failureOf(q, hang.id);
    expect(error).toMatchObject({ name: 'JobTimeoutError', code: 'ERR_JOB_TIMEOUT' });
    expect(await q.getJob(hang.id)).toMatchObject({ state: 'failed', attempts: 2 });
    for (const job of after)
      expect(await q.waitForResult(job.id, { timeout: 10_000 })).toBe('fine');
    expect(p.stats()).toMatchObject({ active: 0, retried: 1, failed: 2, succeeded: 3 });
  });

  it('keeps working when listeners of every event throw or reject, the error listener included', async () => {
    const logger = memoryLogger();
    const { q, p } = setup(
      (data, attempt) => {
        if (data.kind === 'flaky' && attempt === 1) throw new Error('flaky');
        if (data.kind === 'broken') throw new Error('broken');
        return `done ${String(data.kind)}`;
      },
      { attempts: 2, statsInterval: 100, logger },
    );
    const contexts = new Set<string>();
    for (const event of [
      'active',
      'completed',
      'retrying',
      'failed',
      'drained',
      'stats',
    ] as const) {
      p.on(event, () => {
        throw new Error(`${event} listener broke`);
      });
    }
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async listener is what this test is about
    p.on('completed', async () => {
      throw new Error('async completed listener broke');
    });
    p.on('error', ({ context }) => {
      contexts.add(context);
      throw new Error('error listener broke too');
    });
    await p.start();
    const [plain, flaky, broken] = await q.addBulk(
      ['plain', 'flaky', 'broken'].map((kind) => ({ name: 'page', data: { kind } })),
    );
    expect(await q.waitForResult(plain!.id, { timeout: 10_000 })).toBe('done plain');
    expect(await q.waitForResult(flaky!.id, { timeout: 10_000 })).toBe('done flaky');
    await failureOf(q, broken!.id);
    await until(() => contexts.has("listener of 'stats'"), 'a stats listener error', 5000);
    for (const event of ['active', 'completed', 'retrying', 'failed', 'drained', 'stats'])
      expect(contexts).toContain(`listener of '${event}'`);
    expect(logger.lines.some((l) => l.includes("A listener of 'error' threw"))).toBe(true);
    const again = await q.add('page', { kind: 'again' });
    expect(await q.waitForResult(again.id, { timeout: 10_000 })).toBe('done again');
    expect(p.state).toBe('running');
  });
});
