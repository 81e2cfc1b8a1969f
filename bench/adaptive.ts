/**
 * The adaptive-concurrency case of `npm run bench`: a loopback server that
 * answers in `LATENCY` ms, or 429 at once when more than a hidden number of
 * requests are in flight, and one pool with `concurrency: { min: 1, max: 64 }`
 * whose handler calls it (a 429 becomes a `RateLimitError`). The hidden limit
 * is 8, then doubles, then halves; the figures are how soon the pool's
 * concurrency settles within ±25 % of it and stays there, the share of 429s
 * and the throughput against the ideal (hidden limit / latency).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, RateLimitError, WorkerPool } from 'redis-worker-pool';

type Jobs = { call: { data: object; result: string } };

const LATENCY = 300;
/** [hidden limit, seconds] per phase. */
const PHASES: readonly (readonly [number, number])[] = [
  [8, 40],
  [16, 30],
  [8, 25],
];

export interface AdaptiveFigures {
  /** Seconds from the start of each phase until the concurrency stayed within ±25 % of the hidden limit. */
  settle: number[];
  /** 429s over all answers, per phase. */
  limitedShare: number[];
  /** Jobs completed per second after settling, over the ideal (hidden / latency), per phase. */
  throughputRatio: number[];
  /**
   * Where the throughput went, per phase, after settling (the ratio above is
   * about their product): the pool's mean limit over the hidden limit (the
   * controller), the requests the server held at once over the pool's limit
   * (the pool refilling its slots: claim round trips, handler overhead), and the
   * server's real answer time over the nominal `LATENCY` (timers on a busy machine).
   */
  limitShare: number[];
  inFlightShare: number[];
  latencyStretch: number[];
}

export async function adaptiveConcurrencyBench(
  url: string,
  prefix: string,
): Promise<AdaptiveFigures> {
  let hidden = PHASES[0]![0];
  let inFlight = 0;
  const answers: { at: number; ok: boolean; took?: number }[] = [];
  // The time integral of the requests held (accepted, not 429), to get the mean held.
  let heldArea = 0;
  let heldSince = Date.now();
  const held = (delta: number) => {
    const now = Date.now();
    heldArea += inFlight * (now - heldSince);
    heldSince = now;
    inFlight += delta;
  };
  const heldAreaAt = () => heldArea + inFlight * (Date.now() - heldSince);
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (inFlight + 1 > hidden) {
        answers.push({ at: Date.now(), ok: false });
        res.writeHead(429, { 'retry-after-ms': '0' }).end('{"error":"too many"}');
        return;
      }
      held(1);
      const arrived = Date.now();
      setTimeout(() => {
        held(-1);
        answers.push({ at: Date.now(), ok: true, took: Date.now() - arrived });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, LATENCY);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const queue = new Queue<Jobs>('adaptive', { connection: url, prefix, logger: false });
  const pool = new WorkerPool<Jobs>(
    'adaptive',
    {
      call: async (_job: unknown, { signal }: { signal: AbortSignal }) => {
        const response = await fetch(endpoint, { method: 'POST', body: '{}', signal });
        await response.text();
        if (response.status === 429) throw new RateLimitError(0, '429');
        return 'ok';
      },
    },
    { connection: url, prefix, logger: false, concurrency: { min: 1, max: 64 }, statsInterval: 0 },
  );
  const trace: { at: number; limit: number }[] = [];
  pool.on('concurrency', ({ to }) => trace.push({ at: Date.now(), limit: to }));
  const total = PHASES.reduce((sum, [h, s]) => sum + (h * 1000 * s) / LATENCY, 0);
  await queue.addBulk(
    Array.from({ length: Math.ceil(total * 1.3) }, () => ({ name: 'call' as const, data: {} })),
  );
  const start = Date.now();
  trace.push({ at: start, limit: 1 });
  await pool.start();

  const figures: AdaptiveFigures = {
    settle: [],
    limitedShare: [],
    throughputRatio: [],
    limitShare: [],
    inFlightShare: [],
    latencyStretch: [],
  };
  // The held-requests integral when each phase's steady part starts (settled), sampled
  // as it happens: the bench looks back only at the phase's end.
  const heldMarks: { at: number; area: number }[] = [];
  const marker = setInterval(() => heldMarks.push({ at: Date.now(), area: heldAreaAt() }), 100);
  let phaseStart = start;
  for (const [limit, seconds] of PHASES) {
    hidden = limit;
    const phaseEnd = phaseStart + seconds * 1000;
    await new Promise((r) => setTimeout(r, phaseEnd - Date.now()));
    const endArea = heldAreaAt();
    const endAt = Date.now();
    const inBand = (n: number) => Math.abs(n - limit) <= limit * 0.25;
    // The limit at the phase's start, then each change in it: settled at the last entry into the band.
    let current = [...trace].reverse().find((t) => t.at <= phaseStart)?.limit ?? 1;
    let settledAt: number | undefined = inBand(current) ? phaseStart : undefined;
    for (const t of trace.filter((t) => t.at > phaseStart && t.at <= phaseEnd)) {
      if (inBand(t.limit) && !inBand(current)) settledAt = t.at;
      if (!inBand(t.limit)) settledAt = undefined;
      current = t.limit;
    }
    const settle = settledAt === undefined ? Number.POSITIVE_INFINITY : settledAt - phaseStart;
    figures.settle.push(settle / 1000);
    const inPhase = answers.filter((a) => a.at > phaseStart && a.at <= phaseEnd);
    figures.limitedShare.push(inPhase.filter((a) => !a.ok).length / Math.max(1, inPhase.length));
    const steadyFrom = settledAt ?? phaseEnd;
    const steady = inPhase.filter((a) => a.ok && a.at > steadyFrom).length;
    const ideal = (limit / LATENCY) * (phaseEnd - steadyFrom);
    figures.throughputRatio.push(ideal > 0 ? steady / ideal : 0);
    // The pool's limit over the steady part, weighted by time.
    let limitArea = 0;
    let level = [...trace].reverse().find((t) => t.at <= steadyFrom)?.limit ?? 1;
    let since = steadyFrom;
    for (const t of trace.filter((t) => t.at > steadyFrom && t.at <= phaseEnd)) {
      limitArea += level * (t.at - since);
      level = t.limit;
      since = t.at;
    }
    limitArea += level * (phaseEnd - since);
    const span = phaseEnd - steadyFrom;
    const meanLimit = span > 0 ? limitArea / span : Number.NaN;
    const startMark = heldMarks.find((m) => m.at >= steadyFrom);
    const meanHeld = startMark
      ? (endArea - startMark.area) / Math.max(1, endAt - startMark.at)
      : Number.NaN;
    figures.limitShare.push(meanLimit / limit);
    figures.inFlightShare.push(meanHeld / meanLimit);
    const took = inPhase.filter((a) => a.ok && a.at > steadyFrom).map((a) => a.took!);
    figures.latencyStretch.push(
      took.length > 0 ? took.reduce((a, b) => a + b, 0) / took.length / LATENCY : Number.NaN,
    );
    phaseStart = phaseEnd;
  }
  clearInterval(marker);
  await pool.close({ force: true });
  await queue.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return figures;
}
