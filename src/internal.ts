// Entries for the library's own tests and benchmarks, imported by path
// (`src/internal.ts`). Not exported from src/index.ts: not part of the public API.
export { queueKeysOf } from './queue.js';
export type { QueueKeys } from './redis/keys.js';
