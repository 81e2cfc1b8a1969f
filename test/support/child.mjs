// The child half of the process harness (test/support/pool-processes.ts), for
// every process a test, fault test or benchmark forks: the pool fixture
// (test/fixtures/pool-process.mjs) and the benchmark's children.
// Importing it reads the config and ties this process's life to its parent's.

/** The one JSON argument the parent passed. */
export const config = JSON.parse(process.argv[2] ?? '{}');

// The parent (a test or a benchmark) is gone: do not outlive it.
process.on('disconnect', () => process.exit(1));

/** Reports to the parent over IPC; every message carries this process's pid. */
export function send(message) {
  // The callback keeps a send racing the parent's exit from throwing here.
  if (process.connected) process.send?.({ ...message, pid: process.pid }, () => {});
}

/**
 * Runs `stop` once on SIGTERM, SIGINT or the parent's 'close' message, then
 * sends `closed` (with what `stop` returned) and exits 0.
 */
export function onStop(stop) {
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const details = await stop();
    send({ type: 'closed', ...details });
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('message', (m) => m === 'close' && void shutdown());
}

/** Answers a parent's request (a string message) with `{ type: request, ...answer() }`. */
export function onRequest(request, answer) {
  process.on('message', (m) => m === request && send({ type: request, ...answer() }));
}
