import type { AddedRecord, BatchSpec, JobToAdd } from './redis/protocol/add.js';
import { callToken, type Scripts } from './redis/scripts.js';

/**
 * Add a batch's chunks (one add call each): the first creates the batch (and
 * refuses an id in use), so the rest go after it. If a call gets no reply,
 * the batch is made consistent before the error is passed on: each chunk
 * that did not run has its items failed in the batch (`ERR_JOB_NOT_ADDED`),
 * so the batch still finishes, and can no longer run late.
 */
export async function addBatchChunks(
  scripts: Scripts,
  batch: BatchSpec,
  chunks: readonly (readonly JobToAdd[])[],
  /** The caller's trace context, stored on each job (see tracing.ts). */
  traceparent?: string,
): Promise<AddedRecord[]> {
  const tokens = chunks.map(() => callToken());
  const [firstChunk = [], ...rest] = chunks;
  let failure: unknown;
  const replies: AddedRecord[] = [];
  try {
    replies.push(
      ...(await scripts.add({ ...batch, first: true }, firstChunk, traceparent, tokens[0])),
    );
    const others = await Promise.allSettled(
      rest.map((chunk, i) =>
        scripts.add({ ...batch, first: false }, chunk, traceparent, tokens[i + 1]),
      ),
    );
    for (const other of others) {
      if (other.status === 'fulfilled') replies.push(...other.value);
      else failure ??= other.reason;
    }
  } catch (error) {
    // Refused at once (the id is in use): nothing was added, nothing to settle.
    if ((error as { code?: unknown }).code === 'ERR_BATCH_EXISTS') throw error;
    failure = error;
  }
  if (failure === undefined) return replies;
  const error = JSON.stringify({
    name: 'JobNotAddedError',
    code: 'ERR_JOB_NOT_ADDED',
    message: `Not added: ${failure instanceof Error ? failure.message : String(failure)}`,
  });
  let index = 0;
  // Every chunk, answered or not: one that ran finds its record and changes nothing.
  const settles = chunks.map((chunk, i) =>
    scripts.settleBatchChunk({
      batchId: batch.id,
      callToken: tokens[i] ?? '',
      firstCallToken: tokens[0] ?? '',
      error,
      indexes: chunk.map(() => index++),
    }),
  );
  // If Redis cannot be reached to settle, the add's own error is still the one to report.
  await Promise.allSettled(settles);
  throw failure;
}
