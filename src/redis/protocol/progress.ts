import type { QueueKeys } from '../keys.js';
import progressScript from '../lua/progress-3.lua';

/**
 * A running job's progress (see progress-3.lua): stored on the job's hash
 * (field `pg`, see job-fields.ts) and, for a batch item, in its batch's hash
 * (`pg:<index>` = `<id>\n<progress JSON>`), then hinted on pub/sub. This
 * module alone knows those shapes.
 */
export const script = progressScript;

export interface ProgressWrite {
  readonly id: string;
  readonly token: string;
  /** The progress value, as JSON. */
  readonly json: string;
  readonly batchId?: string | undefined;
  readonly batchIndex?: number | undefined;
}

export function encode(keys: QueueKeys, write: ProgressWrite): (string | number)[] {
  const inBatch = write.batchId !== undefined && write.batchIndex !== undefined;
  const job = keys.job(write.id);
  return [
    keys.leases,
    job,
    inBatch ? keys.batch(write.batchId as string) : job,
    write.id,
    write.token,
    write.json,
    inBatch ? (write.batchIndex as number) : '',
    keys.progress(write.id),
    inBatch ? keys.batchProgress(write.batchId as string) : '',
  ];
}

/** Whether the value was stored (false: the lease is gone, the value was ignored). */
export function decode(reply: unknown): boolean {
  return Number(reply) === 1;
}

/** A batch's progress hint: which item changed. */
export interface BatchProgressHint {
  readonly id: string;
  readonly index: number;
}

export function decodeBatchHint(message: string): BatchProgressHint | undefined {
  const cut = message.lastIndexOf('\n');
  if (cut < 0) return undefined;
  const index = Number(message.slice(cut + 1));
  return Number.isInteger(index) ? { id: message.slice(0, cut), index } : undefined;
}

/** The latest progress of each item in a batch's hash (HGETALL), by index. */
export function decodeBatchItemProgress(
  hash: Record<string, string>,
): Map<number, { id: string; json: string }> {
  const items = new Map<number, { id: string; json: string }>();
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('pg:')) continue;
    const cut = value.indexOf('\n');
    if (cut < 0) continue;
    items.set(Number(field.slice(3)), { id: value.slice(0, cut), json: value.slice(cut + 1) });
  }
  return items;
}

/** The field of one item's progress in its batch's hash. */
export function batchItemField(index: number): string {
  return `pg:${index}`;
}
