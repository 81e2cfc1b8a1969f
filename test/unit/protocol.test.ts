import { describe, expect, it } from 'vitest';
import type { AttemptReport } from '../../src/attempt-report.js';
import { WorkerPoolError } from '../../src/errors.js';
import { queueKeys } from '../../src/redis/keys.js';
import * as add from '../../src/redis/protocol/add.js';
import * as move from '../../src/redis/protocol/move.js';
import * as removeJob from '../../src/redis/protocol/remove-job.js';
import * as retryJob from '../../src/redis/protocol/retry-job.js';
import { scriptError } from '../../src/redis/protocol/script-errors.js';
import { NO_LIMITER } from '../../src/limiter.js';

const keys = queueKeys('rwp', 'q');

/** A call of a script with a variable number of KEYS: the count first, then the keys, then ARGV. */
function split(args: readonly (string | number)[]): {
  keys: string[];
  argv: (string | number)[];
} {
  const count = Number(args[0]);
  return { keys: args.slice(1, 1 + count) as string[], argv: args.slice(1 + count) };
}

const request = (overrides: Partial<move.MoveRequest> = {}): move.MoveRequest => ({
  leaseDuration: 30_000,
  claim: 2,
  tokenPrefix: 'pool.1',
  reclaim: true,
  defaultAttempts: 4,
  limiter: NO_LIMITER,
  reports: [],
  ...overrides,
});

const report = (overrides: Partial<AttemptReport> = {}): AttemptReport => ({
  id: '7',
  token: 'pool.1.1.1700000000000',
  kind: 'completed',
  payload: '"done"',
  attempt: 1,
  startedAt: 1_700_000_000_000,
  delay: 0,
  keep: '1000:86400',
  batchId: undefined,
  batchIndex: undefined,
  ...overrides,
});

describe('move protocol', () => {
  it('packs a report, its kind as the script’s letter', () => {
    const kinds = {
      completed: 'c',
      failed: 'f',
      retry: 'r',
      rateLimited: 'l',
      quotaExceeded: 'q',
    } as const;
    for (const [kind, letter] of Object.entries(kinds)) {
      const args = move.encode(
        keys,
        request({ reports: [report({ kind: kind as AttemptReport['kind'] })] }),
      );
      expect(args.slice(-3)).toEqual([
        `pool.1.1.1700000000000|${letter}|1|1700000000000|0|1000:86400|`,
        '',
        '"done"',
      ]);
    }
  });

  it('packs a batch job’s id and index', () => {
    const args = move.encode(
      keys,
      request({ reports: [report({ batchId: 'b1', batchIndex: 4 })] }),
    );
    expect(String(args.at(-3))).toMatch(/\|4$/);
    expect(args.at(-2)).toBe('b1');
  });

  it('rounds and clamps the numbers of a report, which the script reads as digits only', () => {
    const args = move.encode(
      keys,
      request({ reports: [report({ kind: 'rateLimited', delay: 1.5, attempt: 2.2 })] }),
    );
    expect(args.at(-3)).toBe('pool.1.1.1700000000000|l|2|1700000000000|2|1000:86400|');
    for (const [value, wire] of [
      [1e21, Number.MAX_SAFE_INTEGER],
      [Infinity, Number.MAX_SAFE_INTEGER],
      [-5, 0],
      [NaN, 0],
      [2.5, 3],
    ] as const) {
      expect(move.wireInt(value)).toBe(wire);
      expect(String(move.wireInt(value))).toMatch(/^\d+$/);
    }
  });

  it('asks for no look at expired leases unless `reclaim`', () => {
    const at = (r: move.MoveRequest) => split(move.encode(keys, r)).argv[5];
    expect(at(request({ reclaim: true }))).toBe(4);
    expect(at(request({ reclaim: false }))).toBe(0);
  });

  it('declares the events stream and hands the scripts the base with the client’s keyPrefix', () => {
    const prefixed = queueKeys('rwp', 'q', 'app:');
    const args = split(move.encode(prefixed, request()));
    expect(args.keys[9]).toBe('rwp:{q}:events');
    expect(args.argv[0]).toBe('app:rwp:{q}:');
    const removal = removeJob.encode(prefixed, '7');
    expect(removal.slice(5, 7)).toEqual(['rwp:{q}:events', 'rwp:{q}:job:7']);
    expect(removal.slice(-3, -1)).toEqual(['app:rwp:{q}:', '7']);
  });

  it('decodes stalled jobs, and -1 as absent', () => {
    const reply = move.decode([
      ['ok'],
      [],
      ['3', 'retry', 'page', '4', 'failed', 'page'],
      -1,
      1_000,
      -1,
      0,
    ]);
    expect(reply.stalled).toEqual([
      { id: '3', outcome: 'retry', name: 'page' },
      { id: '4', outcome: 'failed', name: 'page' },
    ]);
    expect(reply).toMatchObject({ nextDue: undefined, heldUntil: undefined, paused: false });
    expect(move.decode([[], [], [], 5, 1, 9, 1])).toMatchObject({
      nextDue: 5,
      heldUntil: 9,
      paused: true,
    });
  });
});

describe('retry-job and remove-job protocols', () => {
  it('decode the scripts’ replies, and refuse one they do not know', () => {
    expect(retryJob.decode('notFailed')).toBe('notFailed');
    expect(() => retryJob.decode('not failed')).toThrow(TypeError);
    expect([1, 0, -1].map((r) => removeJob.decode(r))).toEqual(['removed', 'missing', 'active']);
    expect(() => removeJob.decode(2)).toThrow(TypeError);
  });
});

describe('scriptError', () => {
  it('turns a script’s error code into the library’s error', () => {
    const error = scriptError(new Error('ERR_BATCH_EXISTS'), { batchId: 'b1' });
    expect(error).toBeInstanceOf(WorkerPoolError);
    expect(error).toMatchObject({ code: 'ERR_BATCH_EXISTS' });
    expect((error as Error).message).toMatch(/^Batch b1 already exists/);
  });

  it('returns any other error unchanged', () => {
    const other = new Error('NOPERM this user has no permissions');
    expect(scriptError(other)).toBe(other);
  });
});

describe('move and add protocols: groups', () => {
  it('sends nothing for groups when no job has one', () => {
    const plain = move.encode(keys, request({ reports: [report()] }));
    // 18 fixed keys and the job's; 9 values, then 3 for the report.
    expect(split(plain).keys).toHaveLength(18 + 1);
    expect(split(plain).argv).toHaveLength(9 + 3);
    expect(String(plain.at(-3))).toMatch(/\|$/);
    const jobs = [
      {
        id: undefined,
        name: 'page',
        data: '{}',
        runOptions: '',
        maxAttempts: undefined,
        keepCompleted: '1:1',
        keepFailed: '1:1',
        delay: 0,
        batchIndex: undefined,
      },
    ];
    const added = split(add.encode(keys, { batch: undefined, jobs, callToken: 't' }));
    expect(added.keys).toHaveLength(6);
    // 8 values, the mask, then the job's 9 values (all shared: it is the only job).
    expect(added.argv).toHaveLength(8 + 1 + 9);
  });

  it("packs a grouped report's group last, its group-scoped 429 as 'g', and the pool's group limits after the reports", () => {
    const args = move.encode(
      keys,
      request({
        reports: [
          report({ group: 'user|42', batchIndex: 3 }),
          report({ kind: 'rateLimited', group: 'm', groupScope: true, delay: 500 }),
        ],
        group: {
          concurrency: 2,
          limiter: { jobs: [{ max: 20, duration: 60_000 }], cost: [] },
        },
      }),
    );
    expect(args.at(-1)).toBe('2|20:60000|0');
    const { argv, keys: declared } = split(args);
    expect(argv[9]).toBe('pool.1.1.1700000000000|c|1|1700000000000|0|1000:86400|3|user|42');
    expect(argv[12]).toBe('pool.1.1.1700000000000|g|1|1700000000000|500|1000:86400||m');
    // The reported groups' hash and list are declared, once each.
    expect(declared.filter((k) => /:g[hw]:/.test(k))).toEqual([
      'rwp:{q}:gh:user|42',
      'rwp:{q}:gw:user|42',
      'rwp:{q}:gh:m',
      'rwp:{q}:gw:m',
    ]);
  });

  it("packs the group limiter's windows of job starts and of cost units apart", () => {
    const group = (jobs: { max: number; duration: number }[], cost: typeof jobs) =>
      move.encode(keys, request({ group: { concurrency: 0, limiter: { jobs, cost } } })).at(-1);
    expect(group([], [])).toBe('0|0|0');
    expect(
      group(
        [
          { max: 5, duration: 1000 },
          { max: 50, duration: 60_000 },
        ],
        [{ max: 9000, duration: 60_000 }],
      ),
    ).toBe('0|5:1000,50:60000|9000:60000');
    // A reported cost declares the group's cost windows (and nothing when none is reported).
    const limiter = { jobs: [], cost: [{ max: 9000, duration: 60_000 }] };
    const settled = split(
      move.encode(
        keys,
        request({ group: { concurrency: 0, limiter }, reports: [report({ group: 'u', cost: 5 })] }),
      ),
    ).keys;
    expect(settled.filter((k) => k.includes(':gc:'))).toEqual(['rwp:{q}:gc:60000:u']);
    const unsettled = split(
      move.encode(
        keys,
        request({ group: { concurrency: 0, limiter }, reports: [report({ group: 'u' })] }),
      ),
    ).keys;
    expect(unsettled.filter((k) => k.includes(':gc:'))).toEqual([]);
    // A pool without group limits sends nothing for them.
    expect(split(move.encode(keys, request({}))).argv).toHaveLength(9);
  });

  it('sends one group per job, after the jobs, once any job of the call has one', () => {
    const job = {
      id: undefined,
      name: 'page',
      data: '{}',
      runOptions: '',
      maxAttempts: undefined,
      keepCompleted: '1:1',
      keepFailed: '1:1',
      delay: 0,
      batchIndex: undefined,
    };
    const args = add.encode(keys, {
      batch: undefined,
      jobs: [job, { ...job, group: 'a' }, job],
      callToken: 't',
    });
    expect(args.slice(-3)).toEqual(['', 'a', '']);
    // The traceparent slot (empty) comes first.
    expect(split(args).argv).toHaveLength(8 + 1 + 9 + 1 + 3);
  });
});

describe('add protocol: values shared by every job of the call', () => {
  const job: add.JobToAdd = {
    id: undefined,
    name: 'page',
    data: '{}',
    runOptions: '',
    maxAttempts: 3,
    keepCompleted: '1:1',
    keepFailed: '1:1',
    delay: 0,
    batchIndex: undefined,
  };

  it('sends a value once when every job has it, and per job (in job order) the values that differ', () => {
    const jobs = [
      { ...job, data: '{"i":0}' },
      { ...job, data: '{"i":1}', delay: 500 },
      { ...job, data: '{"i":2}' },
    ];
    const { argv } = split(add.encode(keys, { batch: undefined, jobs, callToken: 't' }));
    // id, name, data, options, attempts, keep-completed, keep-failed, delay, batch index.
    expect(argv[8]).toBe('001000010');
    expect(argv.slice(9)).toEqual([
      ...['', 'page', '', '3', '1:1', '1:1', ''],
      ...['{"i":0}', 0, '{"i":1}', 500, '{"i":2}', 0],
    ]);
  });

  it('sends every value per job when none is shared', () => {
    const jobs = [
      { ...job, id: 'a', name: 'x', data: '1', runOptions: '{}', maxAttempts: 1 },
      {
        ...job,
        id: 'b',
        name: 'y',
        data: '2',
        maxAttempts: undefined,
        keepCompleted: '0:0',
        keepFailed: '2:2',
        delay: 9,
        batchIndex: 4,
      },
    ];
    const { argv } = split(add.encode(keys, { batch: undefined, jobs, callToken: 't' }));
    expect(argv[8]).toBe('111111111');
    expect(argv.slice(9)).toEqual([
      ...['a', 'x', '1', '{}', '1', '1:1', '1:1', 0, ''],
      ...['b', 'y', '2', '', '', '0:0', '2:2', 9, 4],
    ]);
  });
});

describe('move and add protocols: the result cache', () => {
  const job: add.JobToAdd = {
    id: undefined,
    name: 'page',
    data: '{}',
    runOptions: '',
    maxAttempts: undefined,
    keepCompleted: '1:1',
    keepFailed: '1:1',
    delay: 0,
    batchIndex: undefined,
  };

  it('sends the group and cost slots, the events length and one `ttl|key` per job once any job has a cache', () => {
    const args = add.encode(keys, {
      batch: undefined,
      jobs: [job, { ...job, cache: { key: 'page:v1:a|b', ttl: 5000 } }],
      callToken: 't',
    });
    // Traceparent slot, 2 group slots, 2 cost slots, the events' length, 2 caches.
    expect(split(args).argv).toHaveLength(8 + 1 + 9 + 1 + 2 + 2 + 1 + 2);
    expect(split(args).keys).toContain('rwp:{q}:cache:page:v1:a|b');
    expect(args.slice(-7)).toEqual(['', '', '', '', 1000, '', '5000|page:v1:a|b']);
  });

  it('decodes a cache hit (2) apart from a duplicate (0) and a new job (1)', () => {
    expect(add.decode(['1', 1, 'a', 0, '3', 2], 3)).toEqual([
      { id: '1', duplicate: false, cached: false },
      { id: 'a', duplicate: true, cached: false },
      { id: '3', duplicate: false, cached: true },
    ]);
  });

  it('decodes the first id alone as that many jobs created with the numbers from it', () => {
    expect(add.decode(41, 3)).toEqual([
      { id: '41', duplicate: false, cached: false },
      { id: '42', duplicate: false, cached: false },
      { id: '43', duplicate: false, cached: false },
    ]);
  });

  it('decodes the first id read as a string (ioredis stringNumbers) the same way', () => {
    expect(add.decode('41', 2)).toEqual([
      { id: '41', duplicate: false, cached: false },
      { id: '42', duplicate: false, cached: false },
    ]);
  });

  it('refuses a reply that does not answer for every job sent, rather than make ids up', () => {
    expect(() => add.decode(['1', 1], 2)).toThrow(
      'The add script answered for 1 jobs, not the 2 it was sent',
    );
    expect(() => add.decode(null, 1)).toThrow('answered for 0 jobs');
  });

  it("marks a cached job's final report with an upper-case kind, and nothing else", () => {
    const args = move.encode(
      keys,
      request({
        reports: [
          report({ cached: true }),
          report({ kind: 'failed', cached: true }),
          report({ kind: 'completed' }),
        ],
      }),
    );
    const { argv } = split(args);
    expect(String(argv[9]).split('|')[1]).toBe('C');
    expect(String(argv[12]).split('|')[1]).toBe('F');
    expect(String(argv[15]).split('|')[1]).toBe('c');
  });
});
