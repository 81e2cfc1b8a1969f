import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ConnectedPool,
  GroupSummary,
  JobCounts,
  PauseReason,
  Queue,
  QueueMetrics,
} from '../index.js';
import { writeHead } from './http.js';

/** Every queue's counts and pause state, and the pools and throughput of the one on screen. */
export interface Snapshot {
  readonly at: number;
  readonly queues: readonly {
    name: string;
    counts: JobCounts;
    paused: boolean;
    /** Why, when a handler's `QuotaExceededError` paused it (`queue.getPauseReason()`). */
    pauseReason?: PauseReason;
    /** While a `RateLimitError` holds the queue: the ms left, read on the server's clock. */
    rateLimitedFor?: number;
  }[];
  readonly pools: readonly ConnectedPool[];
  readonly metrics: QueueMetrics;
  /** The queue on screen's groups with the most waiting jobs (`getGroups(10)`). */
  readonly groups: readonly GroupSummary[];
}

export async function readSnapshot(queues: readonly Queue[], current: Queue): Promise<Snapshot> {
  const [states, pools, metrics, groups] = await Promise.all([
    Promise.all(
      queues.map(async (queue) => {
        const [counts, paused, reason] = await Promise.all([
          queue.getCounts(),
          queue.isPaused(),
          queue.getPauseReason(),
        ]);
        const left = (counts.rateLimitedUntil ?? 0) - Date.now();
        return {
          name: queue.name,
          counts,
          paused,
          ...(reason ? { pauseReason: reason } : {}),
          ...(left > 0 ? { rateLimitedFor: left } : {}),
        };
      }),
    ),
    current.getPools(),
    current.getMetrics(15),
    current.getGroups(10),
  ]);
  return { at: Date.now(), queues: states, pools, metrics, groups };
}

/**
 * Server-sent events for one open page: a `snapshot` event now and every
 * `interval` ms, a `problem` event while Redis cannot be read (`error` is
 * taken: EventSource fires it for a lost connection). One read at a
 * time: a slow Redis delays the next update instead of piling reads up.
 * Ends when the page goes away or the dashboard closes.
 */
export function streamSnapshots(
  req: IncomingMessage,
  res: ServerResponse,
  read: () => Promise<Snapshot>,
  { interval, streams }: { interval: number; streams: Set<ServerResponse> },
): void {
  writeHead(res, 200, {
    'content-type': 'text/event-stream; charset=utf-8',
    // Reverse proxies (nginx) would otherwise hold the events back.
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  // A reconnecting page waits this long before trying again.
  res.write(`retry: 2000\n\n`);
  streams.add(res);
  let timer: NodeJS.Timeout | undefined;
  let open = true;
  const stop = () => {
    open = false;
    clearTimeout(timer);
    streams.delete(res);
  };
  req.on('close', stop);
  res.on('close', stop);
  const tick = async () => {
    let message: string;
    try {
      message = `event: snapshot\ndata: ${JSON.stringify(await read())}\n\n`;
    } catch {
      message = `event: problem\ndata: ${JSON.stringify({ error: 'Could not read Redis' })}\n\n`;
    }
    if (!open) return;
    res.write(message);
    timer = setTimeout(() => void tick(), interval);
  };
  void tick();
}
