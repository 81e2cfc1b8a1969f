import { afterEach, describe, expect, it } from 'vitest';
import { metricsField, queueKeys } from '../../src/redis/keys.js';
import { encode as encodeAdd, type JobToAdd } from '../../src/redis/protocol/add.js';
import type { MoveRequest } from '../../src/redis/protocol/move.js';
import { Scripts } from '../../src/redis/scripts.js';
import { rawClient, uniquePrefix } from '../support/redis.js';
import { NO_LIMITER } from '../../src/limiter.js';

/**
 * A script call can run and lose its reply with the connection; ioredis then
 * sends it again. Replays must change nothing and answer like the first run.
 */
describe('script calls sent twice', () => {
  const clients: ReturnType<typeof rawClient>[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  });

  function setup() {
    const client = rawClient();
    clients.push(client);
    const keys = queueKeys(uniquePrefix('replay'), 'q');
    return { client, keys, scripts: new Scripts(client, keys) };
  }

  const job = (name: string, batchIndex?: number): JobToAdd => ({
    id: undefined,
    name,
    data: '{}',
    runOptions: '',
    maxAttempts: undefined,
    keepCompleted: '1000:-1',
    keepFailed: '-1:-1',
    delay: 0,
    batchIndex,
  });
  const move = (overrides: Partial<MoveRequest>): MoveRequest => ({
    leaseDuration: 30_000,
    claim: 0,
    tokenPrefix: 'pool.1',
    reclaim: true,
    defaultAttempts: 4,
    limiter: NO_LIMITER,
    reports: [],
    ...overrides,
  });

  it('claims nothing more when a claim is replayed, and returns the same jobs with the same leases', async () => {
    const { scripts, client, keys } = setup();
    await scripts.add(undefined, [job('a'), job('b'), job('c')]);
    const first = await scripts.move(move({ claim: 2, tokenPrefix: 'pool.7' }));
    const again = await scripts.move(move({ claim: 2, tokenPrefix: 'pool.7' }));
    // Tokens are `<prefix>.<n>.<claim time>`.
    const [{ job: job1, token: token1 } = {}, { job: job2, token: token2 } = {}] = first.claimed;
    expect([job1?.id, job2?.id]).toEqual(['1', '2']);
    expect(token1).toMatch(/^pool\.7\.1\.\d{13}$/);
    expect(token2).toMatch(/^pool\.7\.2\.\d{13}$/);
    expect(again.claimed).toEqual(first.claimed);
    expect(await client.zcard(keys.active)).toBe(2);
    expect(await client.llen(keys.wait)).toBe(1);
  });

  it('applies a replayed report once and answers it as the first run did', async () => {
    const { scripts, client, keys } = setup();
    await scripts.add({ id: 'b1', total: 1, ttl: 60, meta: '', first: true }, [job('a', 0)]);
    const claim = await scripts.move(move({ claim: 1, tokenPrefix: 'pool.1' }));
    const report = {
      id: '1',
      token: claim.claimed[0]?.token ?? '',
      kind: 'completed' as const,
      payload: '"done"',
      attempt: 1,
      startedAt: Date.now(),
      delay: 0,
      keep: '0:-1', // removed as it completes: the hardest case, nothing left to check against
      batchId: 'b1',
      batchIndex: 0,
    };
    const first = await scripts.move(move({ tokenPrefix: 'pool.2', reports: [report] }));
    const again = await scripts.move(move({ tokenPrefix: 'pool.2', reports: [report] }));
    expect(first.statuses).toEqual(['ok']);
    expect(again.statuses).toEqual(['ok']);
    expect(await client.hmget(keys.batch('b1'), 'completed', 'failed')).toEqual(['1', '0']);
    expect(
      await client.hget(keys.metrics, metricsField('completed', Math.floor(first.now / 60_000))),
    ).toBe('1');
  });

  it('replays a claim that skipped a removed job, with the same tokens', async () => {
    const { scripts, client, keys } = setup();
    await scripts.add(undefined, [job('a'), job('b'), job('c')]);
    await client.del(keys.job('2')); // removed while it waited: its id stays in the list
    const first = await scripts.move(move({ claim: 3, tokenPrefix: 'pool.9' }));
    const again = await scripts.move(move({ claim: 3, tokenPrefix: 'pool.9' }));
    expect(first.claimed.map((c) => c.job.id)).toEqual(['1', '3']);
    expect(again.claimed).toEqual(first.claimed);
  });

  it('keeps a small record of each call, for as long as a lease', async () => {
    const { scripts, client, keys } = setup();
    const jobs = Array.from({ length: 100 }, (_, i) => job(`j${i}`));
    await scripts.add(undefined, jobs);
    const claim = await scripts.move(
      move({ claim: 100, tokenPrefix: 'pool.3', leaseDuration: 8000 }),
    );
    const reports = claim.claimed.map((c) => ({
      id: c.job.id,
      token: c.token,
      kind: 'completed' as const,
      payload: '"done"',
      attempt: 1,
      startedAt: claim.now,
      delay: 0,
      keep: '1000:-1',
      batchId: undefined,
      batchIndex: undefined,
    }));
    await scripts.move(move({ tokenPrefix: 'pool.4', reports, leaseDuration: 8000 }));
    let bytes = 0;
    for (const call of ['pool.3', 'pool.4']) {
      const key = `${keys.base}call:${call}`;
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(7000);
      expect(ttl).toBeLessThanOrEqual(8000);
      bytes += Number(await client.memory('USAGE', key));
    }
    // 100 jobs claimed, then reported: was 44 bytes a job here (for 120 s), now under 10.
    expect(bytes / 100).toBeLessThan(12);
  });

  it('adds the jobs of a replayed add call once, and returns the same ids', async () => {
    const { client, keys } = setup();
    // The token is made per call inside Scripts.add; replay it by calling the script directly.
    const command = Object.keys(client).find((k) => k.startsWith('rwp_add_')) as string;
    const call = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
      command
    ]!;
    const args = encodeAdd(keys, { batch: undefined, jobs: [job('a')], callToken: 'tok-1' });
    const first = await call.apply(client, args);
    const again = await call.apply(client, args);
    // A call of numbered jobs alone is answered with the first id.
    expect(first).toBe(1);
    expect(again).toEqual(first);
    expect(await client.llen(keys.wait)).toBe(1);
    // With a jobId, the list of ids and flags.
    const jobs = [{ ...job('b'), id: 'custom' }, job('c')];
    const listed = encodeAdd(keys, { batch: undefined, jobs, callToken: 'tok-2' });
    const firstList = await call.apply(client, listed);
    expect(firstList).toEqual(['custom', 1, '2', 1]);
    expect(await call.apply(client, listed)).toEqual(firstList);
    expect(await client.llen(keys.wait)).toBe(3);
  });
});
