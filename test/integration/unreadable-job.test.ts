import { afterEach, describe, expect, it } from 'vitest';
import { queueKeys } from '../../src/redis/keys.js';
import type { JobToAdd } from '../../src/redis/protocol/add.js';
import type { MoveRequest } from '../../src/redis/protocol/move.js';
import { Scripts } from '../../src/redis/scripts.js';
import { rawClient, uniquePrefix } from '../support/redis.js';
import { NO_LIMITER } from '../../src/limiter.js';

/**
 * The move script reads the hashes of the jobs it claims and reclaims without
 * having them in KEYS (it cannot know them before it runs). If one cannot be
 * read (on Cluster: its slot is being migrated and the hash already left this
 * node), the jobs must stay where they were, never half claimed.
 */
describe('a job hash the move script cannot read', () => {
  const clients: ReturnType<typeof rawClient>[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  });

  const job = (name: string): JobToAdd => ({
    id: undefined,
    name,
    data: '{}',
    runOptions: '',
    maxAttempts: undefined,
    keepCompleted: '1000:-1',
    keepFailed: '-1:-1',
    delay: 0,
    batchIndex: undefined,
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

  function setup() {
    const client = rawClient();
    clients.push(client);
    const keys = queueKeys(uniquePrefix('unreadable'), 'q');
    return { client, keys, scripts: new Scripts(client, keys) };
  }

  it('leaves the jobs it would claim waiting, in their order', async () => {
    const { scripts, client, keys } = setup();
    await scripts.add(undefined, [job('a'), job('b'), job('c')]);
    const before = await client.lrange(keys.wait, 0, -1);
    // Job 2's hash is unreadable (a WRONGTYPE stands in for a key on another node).
    const saved = await client.hgetall(keys.job('2'));
    await client.del(keys.job('2'));
    await client.set(keys.job('2'), 'elsewhere');
    const reply = await scripts.move(move({ claim: 3, tokenPrefix: 'pool.5' }));
    expect(reply.claimed).toEqual([]);
    expect(await client.lrange(keys.wait, 0, -1)).toEqual(before);
    expect(await client.zcard(keys.active)).toBe(0);
    // Readable again (the migration ended): claimed as usual, oldest first.
    await client.del(keys.job('2'));
    await client.hset(keys.job('2'), saved);
    const later = await scripts.move(move({ claim: 3, tokenPrefix: 'pool.6' }));
    expect(later.claimed.map((c) => c.job.id)).toEqual(['1', '2', '3']);
  });

  it('leaves jobs whose lease expired active until every one can be read', async () => {
    const { scripts, client, keys } = setup();
    await scripts.add(undefined, [job('a'), job('b')]);
    await scripts.move(move({ claim: 2, tokenPrefix: 'pool.7', leaseDuration: 50 }));
    await new Promise((r) => setTimeout(r, 80));
    const saved = await client.hgetall(keys.job('1'));
    await client.del(keys.job('1'));
    await client.set(keys.job('1'), 'elsewhere');
    const reply = await scripts.move(move({ tokenPrefix: 'pool.8' }));
    expect(reply.stalled).toEqual([]);
    expect(await client.zcard(keys.active)).toBe(2);
    expect(await client.hlen(keys.leases)).toBe(2);
    await client.del(keys.job('1'));
    await client.hset(keys.job('1'), saved);
    const later = await scripts.move(move({ tokenPrefix: 'pool.9' }));
    expect(later.stalled.map((s) => [s.id, s.outcome])).toEqual([
      ['1', 'retry'],
      ['2', 'retry'],
    ]);
  });
});
