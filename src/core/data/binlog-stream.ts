/**
 * One run of the change stream: a binlog client from `start`, an applier, and the loop that
 * turns source transactions into target transactions (several small ones grouped while a
 * backlog exists, never one split), each committed with the checkpoint that covers it.
 * Returns when `until` is reached or the signal aborts; throws SyncError on failure (the
 * supervisor decides about retries from `retryable`).
 */
import type { ConnectionConfig } from '../config/schema.js';
import { SyncError, toSyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Applier, TableMode } from './applier.js';
import { openBinlogClient, type BinlogClient } from './binlog-client.js';
import { comparePositions, type BinlogPosition, type ChangeEvent } from './events.js';
import { statementTarget } from './statement-tables.js';
import { quoteQualified } from '../db/quote.js';
import { crashPoint } from '../crash-point.js';

export interface StreamStats {
  events: number;
  rows: number;
  transactions: number;
  /** Source timestamp (ms) of the last applied commit. */
  lastEventTs: number;
  position: BinlogPosition;
  gtid?: string;
  /** True when nothing is queued (caught up). */
  idle: boolean;
}

export interface StreamOptions {
  source: ConnectionConfig;
  sourceSchema: string;
  serverId: number;
  start: BinlogPosition;
  /** Stop once the applied position reaches this (catch-up, --once). */
  until: BinlogPosition | null;
  applier: Applier;
  tableMode: (table: string) => TableMode;
  inScope: (table: string) => boolean;
  /** Checkpoint rows to commit with every target transaction, given the position covered. */
  checkpoints: (pos: BinlogPosition, gtid: string | undefined) => Array<[string, unknown]>;
  onDdl: (tables: string[] | 'all') => Promise<void>;
  /** Current server binlog end, for the stall watchdog. */
  serverPosition: () => Promise<BinlogPosition>;
  onProgress: (stats: StreamStats) => void;
  logger: Logger;
  signal: AbortSignal;
  watchdogMs?: number;
  heartbeatMs?: number;
  maxGroupTxns?: number;
  maxGroupMs?: number;
}

const HIGH_WATER = 20_000;
const LOW_WATER = 2_000;

export async function runStream(o: StreamOptions): Promise<BinlogPosition> {
  const s = new StreamLoop(o);
  return s.run();
}

class StreamLoop {
  private readonly queue: ChangeEvent[] = [];
  private head = 0;
  private error: SyncError | null = null;
  private wake: (() => void) | null = null;
  private client: BinlogClient | null = null;
  private paused = false;
  private applied: BinlogPosition;
  private appliedGtid: string | undefined;
  private pending: { pos: BinlogPosition; gtid?: string } | null = null;
  private groupTxns = 0;
  private groupStart = 0;
  private lastCheckpointAt = Date.now();
  private lastEventAt = Date.now();
  private readonly stats: StreamStats;

  constructor(private readonly o: StreamOptions) {
    this.applied = o.start;
    this.stats = { events: 0, rows: 0, transactions: 0, lastEventTs: 0, position: o.start, idle: true };
  }

  async run(): Promise<BinlogPosition> {
    if (this.reached()) return this.applied;
    const onAbort = () => this.notify();
    this.o.signal.addEventListener('abort', onAbort, { once: true });
    this.client = openBinlogClient({
      connection: this.o.source, serverId: this.o.serverId, start: this.o.start, schema: this.o.sourceSchema,
      onEvent: (ev) => { this.queue.push(ev); this.lastEventAt = Date.now(); this.backpressure(); this.notify(); },
      onError: (err) => { this.error ??= err; this.notify(); },
    });
    try {
      await this.loop();
      return this.applied;
    } catch (err) {
      await this.o.applier.rollback();
      throw toSyncError(err);
    } finally {
      this.o.signal.removeEventListener('abort', onAbort);
      this.client.stop();
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private backpressure(): void {
    const size = this.queue.length - this.head;
    if (!this.paused && size > HIGH_WATER) { this.paused = true; this.client?.pause(); }
    else if (this.paused && size < LOW_WATER) { this.paused = false; this.client?.resume(); }
  }

  private reached(): boolean {
    return this.o.until !== null && comparePositions(this.applied, this.o.until) >= 0;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.o.signal.aborted) { await this.finishOnAbort(); return; }
      const ev = this.next();
      if (!ev) {
        await this.idle();
        if (this.reached()) return;
        continue;
      }
      await this.handle(ev);
      if (this.reached() && !this.o.applier.inTransaction) return;
    }
  }

  private next(): ChangeEvent | undefined {
    if (this.head >= this.queue.length) return undefined;
    const ev = this.queue[this.head++];
    if (this.head > 4096 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0; }
    this.backpressure();
    return ev;
  }

  private get backlog(): number {
    return this.queue.length - this.head;
  }

  /** Nothing queued: commit an open group, write a heartbeat checkpoint, watch for stalls. */
  private async idle(): Promise<void> {
    if (this.o.applier.inTransaction && this.groupTxns > 0) await this.flush();
    if (this.pending && !this.o.applier.inTransaction) await this.heartbeat(true);
    this.stats.idle = true;
    this.report();
    // Events may have arrived during the awaits above (their notify() found no waiter).
    if (this.backlog > 0 || this.error || this.o.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
    if (this.backlog === 0 && !this.o.applier.inTransaction) await this.watchdog();
  }

  private async watchdog(): Promise<void> {
    const limit = this.o.watchdogMs ?? 15_000;
    if (Date.now() - this.lastEventAt < limit) return;
    // The control link may be frozen like the stream: no answer in time is a stall too.
    const server = await withTimeout(this.o.serverPosition(), limit, () => new SyncError('BINLOG_STREAM_STALLED',
      `no binlog event for ${Math.round(limit / 1000)} s and the source does not answer`, {
        hint: 'The link to the source stalled; db-sync reconnects and resumes from the last applied checkpoint.', retryable: true,
      }));
    this.lastEventAt = Date.now();
    const seen = this.pending?.pos ?? this.applied;
    if (comparePositions(server, seen) > 0) {
      throw new SyncError('BINLOG_STREAM_STALLED', `no binlog event for ${Math.round(limit / 1000)} s while the source moved to ${server.file}:${server.pos}`, {
        hint: 'The replication link stalled (network?); db-sync restarts the stream from the last applied checkpoint.', retryable: true,
      });
    }
  }

  private async handle(ev: ChangeEvent): Promise<void> {
    this.stats.events++;
    this.stats.idle = false;
    switch (ev.type) {
      case 'begin':
        return;
      case 'insert':
      case 'update':
      case 'delete':
        if (ev.schema !== this.o.sourceSchema || !this.o.inScope(ev.table)) return;
        if (!this.o.applier.inTransaction) this.groupStart = Date.now();
        await this.o.applier.applyRows(ev, this.o.tableMode(ev.table));
        this.stats.rows += ev.rows.length;
        return;
      case 'commit':
        this.stats.transactions++;
        this.stats.lastEventTs = ev.timestamp;
        this.pending = { pos: ev.position, gtid: ev.gtid ?? this.appliedGtid };
        if (!this.o.applier.inTransaction) return this.heartbeat(false);
        this.groupTxns++;
        if (this.shouldFlush()) await this.flush();
        return;
      case 'statement':
        return this.statement(ev);
      case 'position':
        if (this.o.applier.inTransaction) return;
        this.pending = { pos: ev.position, gtid: this.appliedGtid };
        return this.heartbeat(false);
    }
  }

  private shouldFlush(): boolean {
    if (this.reached() || this.backlog === 0) return true;
    if (this.o.until && this.pending && comparePositions(this.pending.pos, this.o.until) >= 0) return true;
    return this.groupTxns >= (this.o.maxGroupTxns ?? 500) || Date.now() - this.groupStart >= (this.o.maxGroupMs ?? 5);
  }

  private async flush(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    crashPoint('stream.before-commit');
    await this.o.applier.commit(this.o.checkpoints(p.pos, p.gtid));
    crashPoint('stream.after-commit');
    this.advance(p);
    this.groupTxns = 0;
  }

  private advance(p: { pos: BinlogPosition; gtid?: string }): void {
    this.applied = p.pos;
    this.appliedGtid = p.gtid;
    this.pending = null;
    this.lastCheckpointAt = Date.now();
    this.stats.position = p.pos;
    this.stats.gtid = p.gtid;
    this.report();
  }

  /** A position with nothing to apply: checkpoint it at most every heartbeatMs (or now when forced / at `until`). */
  private async heartbeat(force: boolean): Promise<void> {
    const p = this.pending;
    if (!p) return;
    const due = force || Date.now() - this.lastCheckpointAt >= (this.o.heartbeatMs ?? 1000);
    const atUntil = this.o.until !== null && comparePositions(p.pos, this.o.until) >= 0;
    if (!due && !atUntil) return;
    await this.o.applier.commit(this.o.checkpoints(p.pos, p.gtid));
    this.advance(p);
  }

  private async statement(ev: Extract<ChangeEvent, { type: 'statement' }>): Promise<void> {
    if (this.o.applier.inTransaction) await this.flush();
    const target = statementTarget(ev.query, ev.schema, this.o.sourceSchema);
    const p = { pos: ev.position, gtid: ev.gtid ?? this.appliedGtid };
    if (target.kind === 'truncate' && this.o.inScope(target.table) && this.o.tableMode(target.table) !== 'skip') {
      // TRUNCATE is logged as a statement, never as row events: apply it as a DELETE so it
      // commits atomically with its checkpoint.
      const t = await this.o.applier.table(target.table);
      await this.o.applier.begin();
      await this.o.applier.run({ sql: `DELETE FROM ${quoteQualified(t.schema, t.name)}`, params: [] });
    } else if (target.kind === 'ddl') {
      const tables = target.tables === 'all' ? 'all' : target.tables.filter((t) => this.o.inScope(t));
      if (tables === 'all' || tables.length > 0) {
        this.o.logger.info({ query: ev.query.slice(0, 200), tables }, 'DDL in the stream: running the schema step');
        await this.o.onDdl(tables);
        this.o.applier.invalidate(tables === 'all' ? undefined : tables);
      }
    }
    this.pending = p;
    await this.o.applier.commit(this.o.checkpoints(p.pos, p.gtid));
    this.advance(p);
  }

  /** Abort: commit at a transaction boundary, roll back a half-applied source transaction. */
  private async finishOnAbort(): Promise<void> {
    if (this.o.applier.inTransaction && this.groupTxns > 0 && this.lastWasCommit()) await this.flush();
    else await this.o.applier.rollback();
  }

  private lastWasCommit(): boolean {
    const last = this.queue[this.head - 1];
    return last?.type === 'commit';
  }

  private report(): void {
    this.o.onProgress({ ...this.stats, idle: this.backlog === 0 });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(onTimeout()), ms); });
  p.catch(() => undefined);
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
