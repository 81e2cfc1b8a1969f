/**
 * A web dashboard for redis-worker-pool queues, published as the subpath
 * `redis-worker-pool/dashboard`: a Node `(req, res)` handler to mount in
 * `node:http`, Express or Fastify, or serve with `worker-pool dashboard`.
 */
export { createDashboard } from './dashboard.js';
export type { Dashboard } from './dashboard.js';
export type { DashboardOptions } from './options.js';
