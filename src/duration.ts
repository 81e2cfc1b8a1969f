/**
 * `850ms`, `12.3s`, `4m05s`, `2h03m`, `3d04h`: durations the way the logs and
 * the CLI show them (one function for both, so a delay reads the same in a
 * pool's log line and in `redis-worker-pool status`).
 */
export function formatDuration(ms: number): string {
  // Round first, then pick the unit, so 999.6 ms reads `1.0s`, not `1000ms`,
  // 59.96 s `1m00s`, not `60.0s`, and 3599.6 s `1h00m`, not `59m60s`.
  const value = Number.isFinite(ms) ? Math.max(0, ms) : 0;
  if (Math.round(value) < 1000) return `${Math.round(value)}ms`;
  const tenths = Math.round(value / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(value / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h${pad(minutes % 60)}m`;
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
}

const pad = (n: number) => String(n).padStart(2, '0');
