/**
 * The apply loop: one run of the change stream from `start`. It turns source transactions
 * into target transactions (several small ones grouped while a backlog exists), each
 * committed with the checkpoint that covers it, and replays DDL at its place in the stream.
 *
 * Invariants:
 * - A target transaction only ever commits at a source transaction boundary, so a
 *   checkpoint always names a commit boundary (after a kill -9 nothing is half-applied).
 * - Statements inside a source transaction (ROLLBACK, SAVEPOINT, XA, statement-based DML)
 *   act on it, never flush it.
 * - Anything that cannot be applied exactly stops the pair with the statement and the fix.
 * - The backlog of received, unapplied events is bounded in bytes; the reader is paused above it.
 * Returns when `until` is reached, the signal aborts, or tables must be copied first (a
 * table entered the pair's scope); throws SyncError on failure (retries are the caller's).
 */
import { SyncError, toSyncError } from '../errors.js';
import type { BinlogClient } from './binlog-reader.js';
import { openStreamReader } from './binlog-hub.js';
import type { StreamOptions, StreamStats } from './stream-types.js';
import { comparePositions, type BinlogPosition, type ChangeEvent, type RowsEvent } from './events.js';
import { crashPoint } from '../crash-point.js';
import { StatementHandler, xaUnsupported, type StatementOutcome } from './statement-handler.js';
import { GtidState } from './gtid.js';
import { LagTracker, nowMs } from './lag.js';
import { SourceWatch } from './source-watch.js';
import { withTimeout } from '../sleep.js';
import { lagTrace } from './lag-trace.js';

export type { StreamOptions, StreamStats } from './stream-types.js';

export interface StreamResult {
  position: BinlogPosition;
  /** Tables to copy before streaming on (the loop stopped right after the statement that needs them). */
  copy: string[];
}

const MAX_BACKLOG_EVENTS = 20_000;
const DEFAULT_BACKLOG_BYTES = 64 << 20;
/** Queued events a source transaction's begin looks through for its COMMIT (no savepoint then). */
const COMMIT_LOOKAHEAD = 256;

export async function runStream(o: StreamOptions): Promise<StreamResult> {
  return new StreamLoop(o).run();
}

interface Pending {
  pos: BinlogPosition;
  /** The last group's GTID / the whole GTID state the target holds after it. */
  gtid?: string;
  gtids?: string;
}

interface SourceTxn {
  open: boolean;
  /** In-scope row events applied so far. */
  rows: number;
  xa: boolean;
}

class StreamLoop {
  private readonly queue: ChangeEvent[] = [];
  private head = 0;
  private queuedBytes = 0;
  private error: SyncError | null = null;
  private wake: (() => void) | null = null;
  private client: BinlogClient | null = null;
  private paused = false;
  private applied: BinlogPosition;
  private appliedGtid: string | undefined;
  private pending: Pending | null = null;
  private readonly gtids: GtidState | null;
  private txn: SourceTxn = { open: false, rows: 0, xa: false };
  private groupTxns = 0;
  /** stats.rows when the open target transaction began (crash-point detail: its rows). */
  private groupRowsFrom = 0;
  private groupStart = 0;
  private lastCheckpointAt = Date.now();
  private lastBytesAt = nowMs();
  private readonly lag = new LagTracker();
  private readonly watch: SourceWatch;
  private ticker: NodeJS.Timeout | null = null;
  /** Statements to commit with the next checkpoint (clearing the DDL journal). */
  private extra: Array<[string, unknown]> = [];
  private copy: string[] = [];
  private readonly statements: StatementHandler;
  private readonly stats: StreamStats;

  constructor(private readonly opts: StreamOptions) {
    this.applied = opts.start;
    this.stats = {
      events: 0, rows: 0, transactions: 0, lagMs: 0, caughtUp: true, lastEventAt: null, distanceBytes: null,
      position: opts.start, idle: true, backlogEvents: 0, backlogBytes: 0, reader: 'own',
    };
    this.statements = new StatementHandler(opts);
    this.watch = new SourceWatch({
      files: opts.sourceFiles, clock: opts.sourceClock, tracker: this.lag, logger: opts.logger,
      onUpdate: () => this.report(),
    });
    this.gtids = opts.startGtids ? new GtidState(opts.startGtids.flavor, opts.startGtids.gtids) : null;
  }

  async run(): Promise<StreamResult> {
    if (this.reached()) return { position: this.applied, copy: [] };
    const onAbort = () => this.notify();
    this.opts.signal.addEventListener('abort', onAbort, { once: true });
    // not awaited: the dump starts at once (until the offset is known, the header bound assumes none)
    void this.watch.measureClock();
    this.client = openStreamReader({
      connection: this.opts.source, serverId: this.opts.serverId, start: this.opts.start,
      schema: this.opts.sourceSchema, gtids: this.gtids?.toString(), logger: this.opts.logger,
      onEvent: (ev) => this.enqueue(ev),
      onError: (err) => { this.error ??= err; this.notify(); },
      onBytes: () => { this.lastBytesAt = nowMs(); },
    }, this.opts.sharedReader ?? false);
    // status keeps moving while the loop waits on a slow or locked target
    this.ticker = setInterval(() => this.tick(), 1000);
    try {
      await this.loop();
      return { position: this.applied, copy: this.copy };
    } catch (err) {
      await this.opts.applier.rollback();
      throw toSyncError(err);
    } finally {
      this.opts.signal.removeEventListener('abort', onAbort);
      if (this.ticker) clearInterval(this.ticker);
      this.client.stop();
    }
  }

  private enqueue(ev: ChangeEvent): void {
    this.lag.received(ev);
    this.queue.push(ev);
    this.queuedBytes += ev.size;
    this.backpressure();
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private backpressure(): void {
    const limit = this.opts.maxBacklogBytes ?? DEFAULT_BACKLOG_BYTES;
    const events = this.queue.length - this.head;
    const over = this.queuedBytes > limit || events > MAX_BACKLOG_EVENTS;
    const under = this.queuedBytes < limit / 4 && events < MAX_BACKLOG_EVENTS / 10;
    if (!this.paused && over) { this.paused = true; this.client?.pause(); }
    else if (this.paused && under) { this.paused = false; this.client?.resume(); }
  }

  private reached(): boolean {
    return this.opts.until !== null && comparePositions(this.applied, this.opts.until) >= 0;
  }

  /** Between source transactions and nothing uncommitted on the target. */
  private get atBoundary(): boolean {
    return !this.txn.open && !this.opts.applier.inTransaction;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.opts.signal.aborted) { await this.finishOnAbort(); return; }
      if (this.copy.length && this.atBoundary && !this.opts.catchUp) return;
      const ev = this.next();
      if (!ev) {
        await this.idle();
        if (this.reached() && this.atBoundary) return;
        continue;
      }
      const pending = this.handle(ev);
      if (pending) await pending; // a begin or a skipped position needs no await (a promise per event)
      this.settle();
      if (this.reached() && this.atBoundary) return;
    }
  }

  private next(): ChangeEvent | undefined {
    if (this.head >= this.queue.length) return undefined;
    const ev = this.queue[this.head++] as ChangeEvent;
    this.queuedBytes -= ev.size;
    this.lag.taken(ev);
    if (ev.type === 'commit') lagTrace?.took();
    if (this.head > 4096 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0; }
    this.backpressure();
    return ev;
  }

  private get backlog(): number {
    return this.queue.length - this.head;
  }

  /** Nothing queued: commit a group at a boundary, write a heartbeat checkpoint, watch for stalls. */
  private async idle(): Promise<void> {
    if (!this.txn.open && this.opts.applier.inTransaction) await this.flush();
    if (this.pending && this.atBoundary) await this.heartbeat(true);
    this.report();
    // Events may have arrived during the awaits above (their notify() found no waiter).
    if (this.backlog > 0 || this.error || this.opts.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
    if (this.backlog === 0) await this.watchdog();
  }

  private async watchdog(): Promise<void> {
    const limit = this.opts.watchdogMs ?? 15_000;
    if (nowMs() - this.lastBytesAt < limit) return;
    // The control link may be frozen like the stream: no answer in time is a stall too.
    const server = await withTimeout(this.opts.serverPosition(), limit, () => new SyncError('BINLOG_STREAM_STALLED',
      `no binlog data for ${Math.round(limit / 1000)} s and the source does not answer`, {
        hint: 'The link to the source stalled; db-sync reconnects and resumes from the last applied checkpoint.',
        retryable: true,
      }));
    this.lastBytesAt = nowMs();
    const seen = this.pending?.pos ?? this.applied;
    if (comparePositions(server, seen) > 0) {
      const moved = `no binlog data for ${Math.round(limit / 1000)} s`
        + ` while the source moved to ${server.file}:${server.pos}`;
      throw new SyncError('BINLOG_STREAM_STALLED', moved, {
        hint: 'The replication link stalled (network?); db-sync restarts the stream from the last applied checkpoint.',
        retryable: true,
      });
    }
  }

  private handle(ev: ChangeEvent): Promise<void> | undefined {
    this.stats.events++;
    this.stats.idle = false;
    switch (ev.type) {
      case 'begin': this.begin(); return undefined;
      case 'rows': return this.rows(ev);
      case 'commit': return this.commit(ev.position, ev.gtid);
      case 'xa-prepare':
        if (this.txn.xa && this.txn.rows > 0) throw xaUnsupported();
        return this.endWithoutRows(ev.position, ev.gtid);
      case 'query': return this.query(ev);
      case 'position':
        // never backwards: a GTID start sends the first file's head before the start point
        if (this.txn.open || comparePositions(ev.position, this.pending?.pos ?? this.applied) <= 0) return undefined;
        this.mark(ev.position, undefined);
        if (!this.opts.applier.inTransaction) return this.heartbeat(false);
        // a group is open and this is `until` (a binlog checkpoint event, say): commit it here, or
        // the next transaction joins it and the stream goes past `until`
        return this.pastUntil() ? this.flush() : undefined;
    }
  }

  private async query(ev: Extract<ChangeEvent, { type: 'query' }>): Promise<void> {
    return this.outcome(await this.statements.handle(ev, this.txn, () => this.flushForDdl()), ev);
  }

  private begin(): void {
    if (this.txn.open) {
      throw new SyncError('BINLOG_SEQUENCE', 'the binlog started a transaction inside another one', {
        hint: 'db-sync stops rather than guess where the first one ended. Report this with the source version; '
          + '`db-sync sync run PAIR --resnapshot` starts over.',
      });
    }
    this.txn = { open: true, rows: 0, xa: false };
    this.opts.applier.beginSourceTxn(this.commitQueued());
    if (!this.opts.applier.inTransaction) this.groupStart = Date.now();
  }

  /**
   * The transaction just begun ends in COMMIT and that is already queued: only row events lie
   * before it (a statement, XA PREPARE or another BEGIN first: not known, answer false).
   */
  private commitQueued(): boolean {
    for (let i = this.head; i < this.queue.length && i < this.head + COMMIT_LOOKAHEAD; i++) {
      const type = (this.queue[i] as ChangeEvent).type;
      if (type === 'commit') return true;
      if (type !== 'rows') return false;
    }
    return false;
  }

  private async rows(ev: RowsEvent): Promise<void> {
    if (!this.txn.open) this.begin(); // MariaDB always opens a group first; be safe
    if (ev.schema !== this.opts.sourceSchema || !this.opts.inScope(ev.table)) return;
    const mode = this.opts.tableMode(ev.table);
    if (mode === 'skip') return;
    await this.opts.applier.applyRows(ev, mode);
    this.txn.rows++;
    this.stats.rows += ev.rows.length;
  }

  private async commit(pos: BinlogPosition, gtid: string | undefined): Promise<void> {
    this.txn.open = false;
    this.opts.applier.endSourceTxn();
    this.stats.transactions++;
    this.mark(pos, gtid);
    if (!this.opts.applier.inTransaction) return this.heartbeat(this.extra.length > 0 || this.copy.length > 0);
    this.groupTxns++;
    if (this.shouldFlush()) await this.flush();
  }

  /** A group that ends without rows of ours (ROLLBACK, XA PREPARE, a standalone statement). */
  private async endWithoutRows(pos: BinlogPosition, gtid: string | undefined): Promise<void> {
    this.txn.open = false;
    this.opts.applier.endSourceTxn();
    this.mark(pos, gtid);
    if (!this.opts.applier.inTransaction) await this.heartbeat(false);
    else if (this.opts.applier.mustCommitAlone || this.pastUntil()) await this.flush();
  }

  private async outcome(out: StatementOutcome, ev: Extract<ChangeEvent, { type: 'query' }>): Promise<void> {
    switch (out.kind) {
      case 'none': return;
      case 'rollback':
        await this.opts.applier.rollbackSourceTxn();
        return this.endWithoutRows(ev.position, ev.gtid);
      case 'xa-start':
        this.txn.xa = true;
        return;
      case 'boundary':
        // a standalone statement (DDL, ignored statement) ends its own group
        if (ev.inTxn) return;
        return this.endWithoutRows(ev.position, ev.gtid);
      case 'ddl-done': {
        this.extra.push(...out.extra);
        if (out.copy.length) this.copy.push(...out.copy);
        if (ev.inTxn) return; // CREATE ... SELECT: its rows and XID follow
        this.mark(ev.position, ev.gtid);
        return this.heartbeat(true);
      }
    }
  }

  /** DDL is about to run: commit what came before it (its own implicit commit must not take it along). */
  private async flushForDdl(): Promise<void> {
    if (this.opts.applier.inTransaction && !this.txn.open) await this.flush();
  }

  private shouldFlush(): boolean {
    if (this.reached() || this.backlog === 0 || this.extra.length || this.copy.length) return true;
    if (this.opts.applier.mustCommitAlone) return true;
    if (this.pastUntil()) return true;
    return this.groupTxns >= (this.opts.maxGroupTxns ?? 500)
      || Date.now() - this.groupStart >= (this.opts.maxGroupMs ?? 5);
  }

  /** What the stream marked to checkpoint is at or past `until`: nothing after it may join the open group. */
  private pastUntil(): boolean {
    const { until } = this.opts;
    return until !== null && this.pending !== null && comparePositions(this.pending.pos, until) >= 0;
  }

  /** A source group ended at `pos` (its GTID, if any, is now part of the state to checkpoint). */
  private mark(pos: BinlogPosition, gtid: string | undefined): void {
    if (gtid && this.gtids) this.gtids.add(gtid);
    this.pending = { pos, gtid: gtid ?? this.appliedGtid, gtids: this.gtids?.toString() };
  }

  private checkpointRows(p: Pending): Array<[string, unknown]> {
    const rows = [...this.opts.checkpoints(p.pos, p.gtid, p.gtids), ...this.extra];
    if (this.copy.length && !this.opts.catchUp && this.opts.copyState) rows.push(...this.opts.copyState(this.copy));
    return rows;
  }

  private async flush(): Promise<void> {
    const p = this.pending;
    if (!p || this.txn.open) return;
    const rows = (): string => `${this.stats.rows - this.groupRowsFrom} rows in the transaction`;
    crashPoint('stream.before-commit', rows);
    lagTrace?.sending();
    await this.opts.applier.commit(this.checkpointRows(p));
    lagTrace?.committed();
    crashPoint('stream.after-commit', rows);
    this.advance(p);
    this.groupTxns = 0;
  }

  private advance(p: Pending): void {
    this.applied = p.pos;
    this.appliedGtid = p.gtid;
    this.pending = null;
    this.extra = [];
    this.groupRowsFrom = this.stats.rows;
    this.lastCheckpointAt = Date.now();
    this.stats.position = p.pos;
    this.stats.gtid = p.gtid;
    this.settle();
    this.report();
  }

  /** Between source transactions with no target transaction open: the target holds all that was taken. */
  private settle(): void {
    if (this.atBoundary) this.lag.settled(nowMs());
  }

  private tick(): void {
    this.report();
    this.watch.poll({
      applied: () => this.applied, received: () => this.client?.received() ?? null, lastBytesAt: () => this.lastBytesAt,
    });
  }

  /** The oldest received event the loop has not taken (position events between transactions skipped). */
  private firstQueued(): ChangeEvent | undefined {
    for (let i = this.head; i < this.queue.length && i < this.head + 64; i++) {
      const ev = this.queue[i] as ChangeEvent;
      if (ev.type !== 'position') return ev;
    }
    return undefined;
  }

  /** A position with nothing to apply: checkpoint it at most every heartbeatMs (or now when forced / at `until`). */
  private async heartbeat(force: boolean): Promise<void> {
    const p = this.pending;
    if (!p || !this.atBoundary) return;
    const due = force || Date.now() - this.lastCheckpointAt >= (this.opts.heartbeatMs ?? 1000);
    const atUntil = this.opts.until !== null && comparePositions(p.pos, this.opts.until) >= 0;
    if (!due && !atUntil) return;
    lagTrace?.sending();
    await this.opts.applier.commit(this.checkpointRows(p));
    lagTrace?.committed();
    this.advance(p);
  }

  /** Abort: commit at a transaction boundary, roll back a half-applied source transaction. */
  private async finishOnAbort(): Promise<void> {
    if (this.opts.applier.inTransaction && !this.txn.open && this.groupTxns > 0) await this.flush();
    else await this.opts.applier.rollback();
  }

  private report(): void {
    const lag = this.lag.lag(nowMs(), this.firstQueued());
    // Idle: everything received is applied (nothing queued, nothing uncommitted on the target).
    this.opts.onProgress({
      ...this.stats, ...lag, distanceBytes: this.watch.distanceBytes,
      idle: this.backlog === 0 && this.atBoundary,
      backlogEvents: this.backlog, backlogBytes: Math.max(0, this.queuedBytes),
      reader: this.client?.shared?.() ? 'shared' : 'own',
    });
  }
}
