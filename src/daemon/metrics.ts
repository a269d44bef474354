/**
 * Opt-in Prometheus endpoint on 127.0.0.1 (prom-client, its own registry): /metrics with
 * per-pair lag, backlog, binlog distance, rows/events applied, errors, snapshot progress and state, plus process
 * metrics; /healthz answers 200 when no enabled pair is in 'error', else 503 (JSON body).
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { SyncError } from '../core/errors.js';
import { PAIR_STATES, type PairStatus } from '../core/status.js';

export interface Health {
  healthy: boolean;
  pairs: Array<{ name: string; state: string; lastError: string | null }>;
}

export function health(pairs: PairStatus[]): Health {
  const enabled = pairs.filter((p) => p.enabled);
  return {
    healthy: enabled.every((p) => p.state !== 'error'),
    pairs: enabled.map((p) => ({ name: p.name, state: p.state, lastError: p.lastError?.message ?? null })),
  };
}

/** Finished waits plus the one in progress. */
function throttledSec(p: PairStatus): number {
  return p.throttledSecTotal + (p.throttled ? Math.max(0, Date.now() - Date.parse(p.throttled.since)) / 1000 : 0);
}

function buildRegistry(pairs: () => PairStatus[]): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'db_sync_' });
  const gauge = (name: string, help: string, value: (p: PairStatus) => number | null) =>
    new Gauge({
      name, help, labelNames: ['pair'], registers: [register],
      collect() {
        this.reset();
        for (const p of pairs()) {
          const v = value(p);
          if (v !== null) this.set({ pair: p.name }, v);
        }
      },
    });
  const counter = (name: string, help: string, value: (p: PairStatus) => number) =>
    new Counter({
      name, help, labelNames: ['pair'], registers: [register],
      collect() {
        this.reset();
        for (const p of pairs()) this.inc({ pair: p.name }, value(p));
      },
    });
  gauge('db_sync_pair_lag_seconds',
    'Source commit to target commit in seconds, ms precision; 0 when caught up (absent when unknown)',
    (p) => (p.lagMs === null ? null : p.lagMs / 1000));
  gauge('db_sync_pair_lag_ms', 'The lag in milliseconds (as db_sync_pair_lag_seconds; kept for existing dashboards)',
    (p) => p.lagMs);
  gauge('db_sync_pair_backlog_events', 'Change events received from the binlog, not yet applied (binlog mode)',
    (p) => p.backlog?.events ?? null);
  gauge('db_sync_pair_backlog_bytes', 'Binlog bytes of the events received, not yet applied (binlog mode)',
    (p) => p.backlog?.bytes ?? null);
  gauge('db_sync_pair_binlog_distance_bytes',
    'Bytes from the applied checkpoint to the source binlog end (binlog mode, polled every 2 s)',
    (p) => p.distanceBytes);
  gauge('db_sync_pair_caught_up',
    '1 when nothing is received and unapplied and no change arrived for 2 s (binlog mode)',
    (p) => (p.caughtUp === null ? null : Number(p.caughtUp)));
  gauge('db_sync_pair_last_event_timestamp_seconds',
    'Unix time the last change event arrived (binlog mode; absent before the first)',
    (p) => (p.lastEventAt === null ? null : Date.parse(p.lastEventAt) / 1000));
  counter('db_sync_pair_rows_applied_total', 'Rows applied to the target by the current run of the pair',
    (p) => p.totals.rows);
  counter('db_sync_pair_events_applied_total', 'Change events applied by the current run of the pair',
    (p) => p.totals.events);
  counter('db_sync_pair_errors_total', 'Pair failures since the service started', (p) => p.errorsTotal);
  gauge('db_sync_pair_throttled', '1 while the pair\'s snapshot/reconciliation reads wait for a loaded source',
    (p) => (p.throttled ? 1 : 0));
  counter('db_sync_pair_throttled_seconds_total', 'Seconds the pair\'s reads waited for the source', throttledSec);
  gauge('db_sync_pair_source_history_list_length', 'Source InnoDB history list length while a snapshot runs',
    (p) => p.historyListLength);
  gauge('db_sync_pair_snapshot_progress_ratio', 'Initial snapshot progress 0..1 (absent outside a snapshot)',
    (p) => (p.snapshot ? p.snapshot.percent / 100 : null));
  new Gauge({
    name: 'db_sync_pair_state', help: '1 for the state the pair is in, 0 for the others',
    labelNames: ['pair', 'state'], registers: [register],
    collect() {
      this.reset();
      for (const p of pairs()) for (const s of PAIR_STATES) this.set({ pair: p.name, state: s }, p.state === s ? 1 : 0);
    },
  });
  return register;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(port: number, pairs: () => PairStatus[]): Promise<MetricsServer> {
  const register = buildRegistry(pairs);
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/metrics') {
      register.metrics().then((text) => {
        res.writeHead(200, { 'content-type': register.contentType });
        res.end(text);
      }, (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err.message);
      });
    } else if (url === '/healthz') {
      const h = health(pairs());
      res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ status: h.healthy ? 'ok' : 'error', pairs: h.pairs })}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => new SyncError('METRICS_PORT',
      `cannot serve metrics on 127.0.0.1:${port}: ${err.code ?? err.message}`, {
        hint: 'Choose a free port with `db-sync settings set metricsPort N` or `service start --metrics-port N`, '
          + 'or stop what listens there.',
        cause: err,
      });
    server.once('error', (err: NodeJS.ErrnoException) => reject(failed(err)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
