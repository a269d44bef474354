/**
 * Turns stream and snapshot progress into PairStatus updates (throttled): rates over a
 * sliding window; lag, backlog and distance as the stream measured them (lag.ts).
 */
import type { SnapshotProgress, StatusSink } from '../status.js';
import type { StreamStats } from './stream-types.js';

const MIN_INTERVAL_MS = 500;

export class StreamStatus {
  private last = 0;
  private window: { at: number; events: number; rows: number } = { at: Date.now(), events: 0, rows: 0 };
  private rates = { eventsPerSec: 0, rowsPerSec: 0 };
  private readonly warnings = new Set<string>();
  private snapStart = { at: Date.now(), rows: 0 };

  constructor(private readonly sink: StatusSink) {}

  warn(message: string): void {
    if (this.warnings.has(message)) return;
    this.warnings.add(message);
    this.sink.update({ warnings: [...this.warnings] });
  }

  /**
   * At most one update per MIN_INTERVAL_MS, except the moment the stream turns idle (shown at
   * once). A stream that turns idle after every transaction (a steady trickle) would otherwise
   * update on each one: repeated idle reports inside the interval wait for its end instead.
   */
  streamProgress(s: StreamStats): void {
    const now = Date.now();
    const wait = MIN_INTERVAL_MS - (now - this.last);
    if (wait > 0 && !(s.idle && !this.lastIdle)) {
      if (s.idle) this.defer(s, wait);
      return;
    }
    this.write(s, now);
  }

  private lastIdle = false;
  private pending: { stats: StreamStats; timer: NodeJS.Timeout } | null = null;

  private defer(s: StreamStats, wait: number): void {
    if (this.pending) { this.pending.stats = s; return; }
    const timer = setTimeout(() => {
      const p = this.pending;
      this.pending = null;
      if (p) this.write(p.stats, Date.now());
    }, wait);
    timer.unref();
    this.pending = { stats: s, timer };
  }

  private write(s: StreamStats, now: number): void {
    if (this.pending) { clearTimeout(this.pending.timer); this.pending = null; }
    this.last = now;
    this.lastIdle = s.idle;
    const dt = (now - this.window.at) / 1000;
    if (dt >= 1) {
      this.rates = { eventsPerSec: (s.events - this.window.events) / dt, rowsPerSec: (s.rows - this.window.rows) / dt };
      this.window = { at: now, events: s.events, rows: s.rows };
    }
    this.sink.update({
      lagMs: Math.round(s.lagMs * 10) / 10, caughtUp: s.caughtUp,
      lastEventAt: s.lastEventAt === null ? null : new Date(s.lastEventAt).toISOString(),
      backlog: { events: s.backlogEvents, bytes: s.backlogBytes }, distanceBytes: s.distanceBytes,
      binlogReader: s.reader,
      position: { file: s.position.file, pos: s.position.pos, ...(s.gtid ? { gtid: s.gtid } : {}) },
      ...this.rates,
      totals: { events: s.events, rows: s.rows, transactions: s.transactions },
    });
  }

  snapshotStarted(rowsDone: number): void {
    this.snapStart = { at: Date.now(), rows: rowsDone };
  }

  snapshotProgress(p: Omit<SnapshotProgress, 'percent' | 'rowsPerSec' | 'etaSec'>, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < MIN_INTERVAL_MS) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.snapStart.at) / 1000);
    const rowsPerSec = (p.rowsDone - this.snapStart.rows) / secs;
    const total = Math.max(p.rowsTotal, p.rowsDone);
    const etaSec = rowsPerSec > 0 ? (total - p.rowsDone) / rowsPerSec : null;
    this.sink.update({
      state: 'snapshot', mode: 'binlog',
      snapshot: { ...p, rowsTotal: total, percent: total === 0 ? 100 : (100 * p.rowsDone) / total, rowsPerSec, etaSec },
    });
  }
}
