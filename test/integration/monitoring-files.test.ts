/**
 * docs/grafana/db-sync.json and docs/prometheus/alerts.yml only use metrics the service really
 * serves: every query and alert expression is parsed for metric names, a real service with a
 * metrics port is scraped, and each name must be there.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createContext, ROOT, type TestContext } from '../helpers/context.js';
import { freePort } from '../helpers/mariadb-server.js';
import { startService, waitForPair, type RunningService } from './service-helpers.js';

/** Series Prometheus writes itself for every scrape target (not served by db-sync). */
const PROMETHEUS_SERIES = new Set(['up']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** Metric names a PromQL expression selects: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const e = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, ' ');
  const out: string[] = [];
  for (const m of e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = e.slice(m.index! + m[0].length).trimStart();
    if (!after.startsWith('(') && !KEYWORDS.has(m[0])) out.push(m[0]);
  }
  return out;
}

interface Panel { title: string; targets?: Array<{ expr: string }> }
const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'docs/grafana/db-sync.json'), 'utf8')) as {
  panels: Panel[]; templating: { list: Array<{ name: string; definition?: string }> };
};
const alerts = parseYaml(readFileSync(path.join(ROOT, 'docs/prometheus/alerts.yml'), 'utf8')) as {
  groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }> }>;
};

let ctx: TestContext;
let service: RunningService;
let served: Set<string>;

beforeAll(async () => {
  ctx = await createContext('mon');
  await ctx.source.query('CREATE TABLE t (id INT PRIMARY KEY)');
  ctx.writeConfig();
  const port = await freePort();
  service = startService(ctx.home, ['--metrics-port', String(port)]);
  await waitForPair(ctx.home, 'p', 'streaming', (p) => p.state === 'streaming');
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  served = new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
});
afterAll(async () => {
  await service?.terminate();
  await ctx?.close();
});

describe('Grafana dashboard and Prometheus alerts', () => {
  it('parses PromQL the way the check relies on', () => {
    expect(metricNames('sum by (pair) (rate(db_sync_a_total{pair=~"$pair",x="y{z}"}[$__rate_interval])) / on (pair) db_sync_b > 1e9 or vector(0)'))
      .toEqual(['db_sync_a_total', 'db_sync_b']);
  });

  it('the dashboard queries only metrics the service serves', () => {
    const used = new Map<string, string>();
    for (const p of dashboard.panels) {
      expect(p.targets?.length, `panel "${p.title}" has no query`).toBeGreaterThan(0);
      for (const t of p.targets!) {
        const names = metricNames(t.expr);
        expect(names.length, `panel "${p.title}": ${t.expr}`).toBeGreaterThan(0);
        for (const n of names) used.set(n, p.title);
      }
    }
    for (const v of dashboard.templating.list) {
      const m = /label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/.exec(v.definition ?? '');
      if (m) used.set(m[1]!, `variable $${v.name}`);
    }
    for (const [name, where] of used) expect(served.has(name), `${where} uses ${name}, which /metrics does not serve`).toBe(true);
    // state, lag, backlog, distance, rates, errors and snapshot progress per pair are all on the dashboard
    const expected = ['db_sync_pair_state', 'db_sync_pair_lag_seconds', 'db_sync_pair_rows_applied_total',
      'db_sync_pair_events_applied_total', 'db_sync_pair_errors_total', 'db_sync_pair_snapshot_progress_ratio',
      'db_sync_pair_backlog_events', 'db_sync_pair_backlog_bytes', 'db_sync_pair_binlog_distance_bytes',
      'db_sync_pair_caught_up', 'db_sync_pair_last_event_timestamp_seconds'];
    for (const n of expected) expect(used.has(n), n).toBe(true);
  });

  it('the alert rules are well formed and use only metrics the service serves', () => {
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['DbSyncPairError', 'DbSyncLagHigh', 'DbSyncStreamStalled']));
    // a stalled stream is one with source binlog left to apply, not one that merely reports lag
    const stalled = rules.find((r) => r.alert === 'DbSyncStreamStalled')!;
    expect(metricNames(stalled.expr)).toContain('db_sync_pair_binlog_distance_bytes');
    for (const r of rules) {
      expect(r.labels.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      if (r.for !== undefined) expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) expect(served.has(n) || PROMETHEUS_SERIES.has(n), `alert ${r.alert} uses ${n}, which /metrics does not serve`).toBe(true);
    }
  });
});
