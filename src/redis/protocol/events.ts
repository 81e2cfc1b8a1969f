/**
 * One entry of the queue's events channel, as the scripts publish it:
 * `[id, state, batchId, payload]`. `payload` (the result or error JSON) is
 * only sent for jobs removed as they finished, whose hash no longer holds it.
 * A finished batch is `[batchId, 'batch', batchId, '']`.
 */
export interface FinishEvent {
  readonly id: string;
  readonly state: string;
  readonly batchId: string;
  readonly payload: string;
}

/** The entries of one message; a malformed message or entry is skipped, never thrown on. */
export function decodeEvents(message: string): FinishEvent[] {
  let entries: unknown;
  try {
    entries = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const events: FinishEvent[] = [];
  for (const entry of entries) {
    if (!Array.isArray(entry)) continue;
    const [id, state, batchId, payload] = entry.map((v) =>
      typeof v === 'string' ? v : '',
    ) as string[];
    events.push({
      id: id ?? '',
      state: state ?? '',
      batchId: batchId ?? '',
      payload: payload ?? '',
    });
  }
  return events;
}
