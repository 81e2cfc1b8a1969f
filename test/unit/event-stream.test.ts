import { describe, expect, it } from 'vitest';
import { EventStream, type EventSource } from '../../src/event-stream.js';
import {
  compareIds,
  decodeEntries,
  decodeRead,
  decodeRecords,
  type StreamEntry,
} from '../../src/redis/protocol/events.js';

describe('the events stream wire format', () => {
  it('decodes every kind of record', () => {
    expect(
      decodeRecords(
        JSON.stringify([
          ['1', 'c'],
          ['2', 'f', 'b1', '3'],
          ['3', 'c', '', '', '{"text":"gone"}'],
          ['4', 'f', 'b1', '0', '{"message":"no"}'],
          ['5', 'x'],
          ['6', 'x', 'b1', '7'],
          ['b1', 'b'],
        ]),
      ),
    ).toEqual([
      { kind: 'finished', id: '1', state: 'completed' },
      { kind: 'finished', id: '2', state: 'failed', batchId: 'b1', batchIndex: 3 },
      { kind: 'finished', id: '3', state: 'completed', outcome: '{"text":"gone"}' },
      {
        kind: 'finished',
        id: '4',
        state: 'failed',
        batchId: 'b1',
        batchIndex: 0,
        outcome: '{"message":"no"}',
      },
      { kind: 'removed', id: '5' },
      { kind: 'removed', id: '6', batchId: 'b1', batchIndex: 7 },
      { kind: 'batchFinished', batchId: 'b1' },
    ]);
  });

  it('skips what is not a record instead of throwing', () => {
    expect(decodeRecords('not json')).toEqual([]);
    expect(decodeRecords('{"a":1}')).toEqual([]);
    expect(
      decodeRecords(JSON.stringify([1, ['', 'c'], ['7', 'z'], ['8'], [9, 'c'], ['9', 'c']])),
    ).toEqual([{ kind: 'finished', id: '9', state: 'completed' }]);
  });

  it('decodes XREAD and XRANGE replies', () => {
    const entries = [
      ['1-0', ['e', '[["1","c"]]']],
      ['1-1', ['other', 'x', 'e', '[["b","b"]]']],
    ];
    expect(decodeEntries(entries)).toEqual([
      { id: '1-0', events: [{ kind: 'finished', id: '1', state: 'completed' }] },
      { id: '1-1', events: [{ kind: 'batchFinished', batchId: 'b' }] },
    ]);
    expect(decodeRead([['key', entries]])).toHaveLength(2);
    expect(decodeRead(null)).toEqual([]);
  });

  it('orders stream ids as Redis does', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('1700000000000-5', '1700000000000-5')).toBe(0);
    expect(compareIds('1700000000001-0', '1700000000000-99')).toBeGreaterThan(0);
  });
});

/** A stream in memory: `append()` adds an entry; reads wait for one like XREAD BLOCK. */
function fakeSource() {
  const entries: StreamEntry[] = [];
  let seq = 0;
  let waiting: (() => void) | undefined;
  const state = { reads: 0, tips: 0, closed: 0, refuse: undefined as Error | undefined };
  const source: EventSource = {
    async tip() {
      state.tips++;
      return entries.at(-1)?.id ?? '0-0';
    },
    async read(after) {
      state.reads++;
      if (state.refuse) throw state.refuse;
      const newer = () => entries.filter((e) => compareIds(e.id, after) > 0);
      if (newer().length === 0) {
        await new Promise<void>((resolve) => {
          waiting = resolve;
          setTimeout(resolve, 50);
        });
      }
      return newer();
    },
    close() {
      state.closed++;
    },
  };
  return {
    source,
    state,
    append(...events: StreamEntry['events']) {
      const id = `1-${++seq}`;
      entries.push({ id, events });
      waiting?.();
      return id;
    },
  };
}

describe('EventStream', () => {
  it('hands a follower the events after its position, for its topic only', async () => {
    const fake = fakeSource();
    fake.append({ kind: 'finished', id: 'old', state: 'completed' });
    const stream = new EventStream(() => fake.source);
    const job = await stream.follow('job:1');
    const batch = await stream.follow('batch:b');
    fake.append(
      { kind: 'finished', id: '2', state: 'completed' },
      { kind: 'finished', id: '1', state: 'failed', batchId: 'b', batchIndex: 0 },
    );
    await job.changed(1000);
    expect(job.take()).toEqual([
      { kind: 'finished', id: '1', state: 'failed', batchId: 'b', batchIndex: 0 },
    ]);
    expect(job.take()).toEqual([]);
    await batch.changed(1000);
    expect(batch.take()).toHaveLength(1);
    stream.close(new Error('closed'));
  });

  it('wakes a follower at once for events that came before it asked', async () => {
    const fake = fakeSource();
    const stream = new EventStream(() => fake.source);
    const follower = await stream.follow('job:1');
    fake.append({ kind: 'finished', id: '1', state: 'completed' });
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await follower.changed(5000);
    expect(Date.now() - started).toBeLessThan(100);
    stream.close(new Error('closed'));
  });

  it('resolves caughtUp once the entry was handed out', async () => {
    const fake = fakeSource();
    const stream = new EventStream(() => fake.source);
    const follower = await stream.follow('job:1');
    const id = fake.append({ kind: 'finished', id: '1', state: 'completed' });
    await follower.caughtUp(id);
    expect(follower.take()).toEqual([{ kind: 'finished', id: '1', state: 'completed' }]);
    stream.close(new Error('closed'));
  });

  it('fails every follower once when a read is refused, closes the source, and starts again for the next', async () => {
    const fake = fakeSource();
    fake.state.refuse = new Error('NOPERM this user has no permissions');
    let opened = 0;
    const stream = new EventStream(() => {
      opened++;
      return fake.source;
    });
    const [a, b] = await Promise.all([stream.follow('job:1'), stream.follow('job:2')]);
    await expect(a.changed(5000)).rejects.toThrow('NOPERM');
    await expect(b.changed(5000)).rejects.toThrow('NOPERM');
    expect(() => a.take()).toThrow('NOPERM');
    expect(fake.state.closed).toBe(1);
    const c = await stream.follow('job:3');
    await expect(c.changed(5000)).rejects.toThrow('NOPERM');
    expect(opened).toBe(2);
    expect(fake.state.closed).toBe(2);
    stream.close(new Error('closed'));
  });

  it('stops reading a while after the last follower left, and starts again from a fresh tip', async () => {
    const fake = fakeSource();
    const stream = new EventStream(() => fake.source);
    const first = await stream.follow('job:1');
    first.close();
    await new Promise((r) => setTimeout(r, 2300));
    const reads = fake.state.reads;
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.state.reads).toBe(reads);
    fake.append({ kind: 'finished', id: '2', state: 'completed' });
    const second = await stream.follow('job:2');
    expect(fake.state.tips).toBe(2);
    // The entry before its start is not handed to it: its check reads the job instead.
    const next = fake.append({ kind: 'finished', id: '2', state: 'failed' });
    await second.caughtUp(next);
    expect(second.take()).toEqual([{ kind: 'finished', id: '2', state: 'failed' }]);
    stream.close(new Error('closed'));
  });

  it('rejects followers with the close error, and refuses new ones', async () => {
    const fake = fakeSource();
    const stream = new EventStream(() => fake.source);
    const follower = await stream.follow('job:1');
    const changed = follower.changed(5000);
    stream.close(new Error('queue closed'));
    await expect(changed).rejects.toThrow('queue closed');
    await expect(stream.follow('job:2')).rejects.toThrow('queue closed');
  });
});
