import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WorkerPoolMetrics } from '../../src/metrics.js';

const root = join(import.meta.dirname, '..', '..');

/** The metric names WorkerPoolMetrics registers, with the series names of its histograms. */
async function registeredNames(): Promise<Set<string>> {
  const registry = new Registry();
  new WorkerPoolMetrics({ registry });
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (registry.getSingleMetric(metric.name) instanceof Histogram)
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

function metricNamesIn(text: string): string[] {
  return [...new Set(text.match(/\bworker_pool_[a-z_]+/g) ?? [])];
}

describe('the Grafana dashboard and the metrics docs', () => {
  it('the dashboard is valid JSON whose queries use only metrics that exist', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(root, 'docs', 'grafana-dashboard.json'), 'utf8'),
    );
    const exprs: string[] = [];
    for (const panel of dashboard.panels as { targets?: { expr: string }[] }[])
      for (const target of panel.targets ?? []) exprs.push(target.expr);
    expect(exprs.length).toBeGreaterThan(10);
    const known = await registeredNames();
    const used = metricNamesIn(exprs.join('\n') + dashboard.templating.list[0].definition);
    expect(used.filter((name) => !known.has(name))).toEqual([]);
    // Every metric is shown somewhere.
    for (const name of known) {
      if (/_(bucket|sum|count)$/.test(name)) continue;
      expect(
        used.some((u) => u.startsWith(name)),
        `${name} on the dashboard`,
      ).toBe(true);
    }
  });

  it('docs/metrics.md names only metrics that exist, and lists each one', async () => {
    const text = readFileSync(join(root, 'docs', 'metrics.md'), 'utf8');
    const known = await registeredNames();
    expect(metricNamesIn(text).filter((name) => !known.has(name))).toEqual([]);
    for (const name of known)
      if (!/_(bucket|sum|count)$/.test(name)) expect(text).toContain(`| \`${name}\``);
  });
});
