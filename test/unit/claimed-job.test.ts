import { describe, it, expect } from 'vitest';
import { SerializationError } from '../../src/errors.js';
import { decodeClaimed } from '../../src/redis/protocol/claimed-job.js';
import { CLAIMED_FIELDS, CLAIMED_STRIDE } from '../../src/redis/protocol/job-fields.js';

type Field = string | null;

/** The values the move script returns for one claimed job: id, token, then CLAIMED_FIELDS. */
function claimed(overrides: Partial<Record<string, Field>> = {}): Field[] {
  const fields: Record<string, Field> = {
    id: '17',
    token: 'tok-1',
    name: 'page',
    data: '{"title":"x","index":3}',
    options: '{"timeout":5000}',
    attemptsMade: '2',
    createdAt: '1700000000000',
    maxAttempts: '4',
    keepCompleted: '1000:86400',
    keepFailed: '10000:604800',
    batchId: null,
    batchIndex: null,
    ...overrides,
  };
  return ['id', 'token', ...CLAIMED_FIELDS].map((name) => fields[name] ?? null);
}

describe('decodeClaimed', () => {
  it('decodes a claimed job', () => {
    const decoded = decodeClaimed(claimed(), 0);
    expect(decoded).toEqual({
      job: { id: '17', name: 'page', data: { title: 'x', index: 3 }, createdAt: 1_700_000_000_000 },
      token: 'tok-1',
      attemptsMade: 2,
      maxAttempts: 4,
      options: { timeout: 5000 },
      keepCompleted: '1000:86400',
      keepFailed: '10000:604800',
    });
    expect(decoded).not.toHaveProperty('decodeError');
    expect(decoded.job).not.toHaveProperty('batchId');
  });

  it('reads the job at an offset in a list of several', () => {
    const values = [...claimed(), ...claimed({ id: '18', token: 'tok-2', data: '[1,2]' })];
    const second = decodeClaimed(values, CLAIMED_STRIDE);
    expect(second.job.id).toBe('18');
    expect(second.token).toBe('tok-2');
    expect(second.job.data).toEqual([1, 2]);
    expect(decodeClaimed(values, 0).job.id).toBe('17');
  });

  it('adds the batch id and index of a batch job', () => {
    const decoded = decodeClaimed(claimed({ batchId: 'b1', batchIndex: '4' }), 0);
    expect(decoded.job.batchId).toBe('b1');
    expect(decoded.job.batchIndex).toBe(4);
  });

  it("gives a batch's then job its batch as parentBatchId, and no other job one", () => {
    const decoded = decodeClaimed(claimed({ options: '{"timeout":5000,"pb":"ebook-1"}' }), 0);
    expect(decoded.job.parentBatchId).toBe('ebook-1');
    expect(decoded.job.batchId).toBeUndefined();
    expect(decoded.options.timeout).toBe(5000);
    expect(decodeClaimed(claimed(), 0).job).not.toHaveProperty('parentBatchId');
    expect(decodeClaimed(claimed({ options: null }), 0).job).not.toHaveProperty('parentBatchId');
  });

  it('leaves maxAttempts undefined when the job set none', () => {
    expect(decodeClaimed(claimed({ maxAttempts: '' }), 0).maxAttempts).toBeUndefined();
    expect(decodeClaimed(claimed({ maxAttempts: null }), 0).maxAttempts).toBeUndefined();
  });

  it('gives empty options when none are stored', () => {
    expect(decodeClaimed(claimed({ options: '' }), 0).options).toEqual({});
    expect(decodeClaimed(claimed({ options: null }), 0).options).toEqual({});
  });

  it('gives null data when none is stored, and keeps falsy JSON values', () => {
    expect(decodeClaimed(claimed({ data: null }), 0).job.data).toBeNull();
    expect(decodeClaimed(claimed({ data: '' }), 0).job.data).toBeNull();
    expect(decodeClaimed(claimed({ data: '0' }), 0).job.data).toBe(0);
    expect(decodeClaimed(claimed({ data: 'false' }), 0).job.data).toBe(false);
    expect(decodeClaimed(claimed({ data: '""' }), 0).job.data).toBe('');
  });

  it('fills missing fields with safe values', () => {
    const decoded = decodeClaimed(new Array<Field>(CLAIMED_STRIDE).fill(null), 0);
    expect(decoded).toEqual({
      job: { id: '', name: '', data: null, createdAt: 0 },
      token: '',
      attemptsMade: 0,
      maxAttempts: undefined,
      options: {},
      // Bounded defaults, never "keep forever", when a job's retention is missing.
      keepCompleted: '1000:86400',
      keepFailed: '10000:604800',
    });
  });

  it('sets decodeError instead of throwing on corrupt data', () => {
    let decoded: ReturnType<typeof decodeClaimed> | undefined;
    expect(() => {
      decoded = decodeClaimed(claimed({ data: '{"title": ' }), 0);
    }).not.toThrow();
    expect(decoded?.decodeError).toBeInstanceOf(SerializationError);
    expect(decoded?.decodeError?.message).toMatch(/^The stored data of job 17 is not valid JSON: /);
    expect((decoded?.decodeError as SerializationError).path).toBe('data');
    expect(decoded?.job.data).toBeNull();
    // The rest of the job still decodes, so it can be failed and reported.
    expect(decoded?.job.id).toBe('17');
    expect(decoded?.token).toBe('tok-1');
    expect(decoded?.options).toEqual({ timeout: 5000 });
  });

  it('sets decodeError on corrupt options', () => {
    const decoded = decodeClaimed(claimed({ options: '{oops' }), 0);
    expect(decoded.decodeError).toBeInstanceOf(SerializationError);
    expect(decoded.decodeError?.message).toMatch(
      /^The stored options of job 17 is not valid JSON: /,
    );
    expect(decoded.options).toEqual({});
    expect(decoded.job.data).toEqual({ title: 'x', index: 3 });
  });
});
