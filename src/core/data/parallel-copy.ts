/**
 * The copy phase of a snapshot: one consistent read on the source, several loader connections
 * on the target.
 *
 * Reading is cheap (1M rows in 1-3 s here) and must stay in the one consistent read, so every
 * read queues on the snapshot's source connection; loading is where the time goes, so each
 * loader is its own target session (the apply session's settings; chunks with
 * foreign_key_checks=0) that takes the next key range from a shared queue and copies it chunk
 * after chunk, reading its next chunk while the target loads the current one. Big tables are
 * split into ranges (snapshot-ranges.ts), so one big table loads in parallel too.
 *
 * The apply session only plans (DDL of a table about to be copied, the rows of a split table's
 * ranges); it never carries rows, so its session variables stay those of the stream.
 * Memory: at most three chunks per loader (the one loading, two read ahead), each about
 * `chunkBytes` of rendered rows.
 */
import type { ConnectionConfig } from '../config/schema.js';
import { BinarySession, type Db } from '../db/connection.js';
import { prepareApplySession } from '../db/session.js';
import { describeTable, type TableInfo } from '../db/table-info.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Applier } from './applier.js';
import type { WriteFence } from './checkpoint.js';
import { ChunkWriter } from './chunk-writer.js';
import { isTableDefChanged } from '../db/db-errors.js';
import { startCopy, type RangeCopy, type SnapshotState } from './snapshot.js';
import {
  chunkRowsFor, planRanges, rangeCount, rangeRow, rangeStream, splitKeys, summarize, tableStarted, tableStats,
  type RangeProgress, type TableStats,
} from './snapshot-ranges.js';
import { keylessWarning } from './applier.js';
import type { StreamStatus } from './stream-status.js';
import { recreateIfDifferent } from './target-table.js';

export interface ParallelCopyOptions {
  pairName: string;
  /** The snapshot's consistent read: every read of the copy queues on it. */
  source: Db;
  sourceSchema: string;
  target: ConnectionConfig;
  /** Plans and table DDL go through the apply session; rows never do. */
  applier: Applier;
  tables: string[];
  state: SnapshotState;
  loadData: boolean;
  /** The pair syncs schema: a table about to be copied from scratch gets the source's definition. */
  ownsSchema: boolean;
  /** Loader connections. */
  parallel: number;
  /** Fixed rows per chunk (tuning, tests); otherwise chunks are sized by `chunkBytes`. */
  chunkRows?: number;
  chunkBytes: number;
  maxPacket: number;
  /** The pair's lock: a loader's chunk commits only while the runner holds it (ChunkWriter). */
  fence?: WriteFence;
  statusHelper: StreamStatus;
  logger: Logger;
  signal: AbortSignal;
  /** The table's SHOW CREATE TABLE at the read's position, null when it had none (snapshot-read.ts). */
  atRead: (table: string) => string | null;
  /** The table no longer has the definition it had at the read's position. */
  changed: (table: string) => Promise<boolean>;
  /** The source throttle: awaited before each table and each chunk read. */
  gate?: () => Promise<void>;
  /** Told the rows done and estimated at the start; what it returns is told the rows done after each chunk. */
  watch?: (rowsDone: number, rowsTotal: number) => (rowsDone: number) => void;
}

interface Work {
  table: TableInfo;
  targetTable: TableInfo;
  range: RangeProgress;
  chunkRows: number;
  /** The table's split found its key dense (Split.denseMax); null otherwise. */
  denseMax: string | null;
}

/** A range taken from the queue whose first read has begun. */
interface Begun {
  w: Work;
  copy: RangeCopy;
}

/** Copy the tables; returns those deferred to a newer read (their definition changed since P). */
export async function copyParallel(o: ParallelCopyOptions): Promise<string[]> {
  const stats = await tableStats(o.source, o.sourceSchema);
  const done = (t: string) => !!o.state.tables[t]?.done;
  const copied = (t: string) => o.state.tables[t]?.rows ?? 0;
  const rowsTotal = o.tables.reduce((n, t) => n + (done(t) ? copied(t) : stats.get(t)?.rows ?? 0), 0);
  const count = { rows: o.tables.reduce((n, t) => n + copied(t), 0), tables: o.tables.filter(done).length };
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  o.signal.addEventListener('abort', onAbort);
  const queue = new RangeQueue(o, stats, abort.signal);
  const report = (table: string | null, force = false) => o.statusHelper.snapshotProgress(
    { table, tablesDone: count.tables, tablesTotal: o.tables.length, rowsDone: count.rows, rowsTotal }, force);
  const watch = o.watch?.(count.rows, rowsTotal);
  const sessions: BinarySession[] = [];
  // a chunk read as one value (selectTsvBlock) may be as long as the source sends (max_allowed_packet)
  await o.source.exec('SET SESSION group_concat_max_len = 4294967295');
  try {
    // opened side by side: each is several round trips, before the first row can load
    await allSettledOrThrow(Array.from({ length: Math.max(1, o.parallel) }, async () => {
      const session = await BinarySession.open(o.target);
      sessions.push(session);
      await prepareApplySession(session);
      await readCommitted(session);
    }));
    o.statusHelper.snapshotStarted(count.rows);
    // in 'snapshot' from here on, also while the first table waits for the throttle
    report(o.tables.find((t) => !done(t)) ?? null, true);
    // A range whose table changed definition after P (the read fails with ER_TABLE_DEF_CHANGED,
    // or the definition differs once the read holds its metadata lock) defers its whole table.
    const copyRange = async (w: Work, copy: () => Promise<void>): Promise<boolean> => {
      try {
        await copy();
      } catch (err) {
        if (!isTableDefChanged(err) && !(await o.changed(w.table.name))) throw err;
        queue.defer(w.table.name);
        return false;
      }
      if (!(await o.changed(w.table.name))) return true;
      queue.defer(w.table.name);
      return false;
    };
    // Each loader begins the read of its next range as soon as the last read of its current
    // one has returned: that range's first chunk (and, at a new table, its preparation) then
    // comes from the source while the target still loads the current range's last chunk.
    const loader = async (session: BinarySession): Promise<void> => {
      const writer = new ChunkWriter(session, o.pairName, o.maxPacket, o.fence);
      // The loaders' first reads queue one behind the other on the one source connection
      // while the target waits: a loader's first chunk is an eighth of the others, so each
      // starts loading after a short read; the chunks after it are sized by bytes again.
      let firstRange = true;
      const begin = (w: Work): RangeCopy => {
        const firstRows = firstRange ? Math.max(1, Math.ceil(w.chunkRows / 8)) : undefined;
        firstRange = false;
        return startCopy({
          source: o.source, writer, progress: w.range, range: w.range, table: w.table, targetTable: w.targetTable,
          targetSchema: o.target.database,
          chunkRows: w.chunkRows, chunkBytes: o.chunkRows ? 0 : o.chunkBytes, loadData: o.loadData,
          denseMax: w.denseMax, firstRows,
          checkpoints: () => [[rangeStream(w.range), rangeRow(w.range)]],
          onChunk: (n) => { count.rows += n; report(w.table.name); watch?.(count.rows); },
          logger: o.logger, signal: abort.signal, gate: o.gate,
        });
      };
      const take = (): Promise<Begun | null> => queue.next().then((w) => (w ? { w, copy: begin(w) } : null));
      let ahead: Promise<Begun | null> | null = take();
      try {
        while (ahead && !abort.signal.aborted) {
          const begun = await ahead;
          ahead = null;
          if (!begun) break;
          const { w, copy } = begun;
          // a range taken ahead whose table was deferred meanwhile is copied with the table, later
          if (queue.isDeferred(w.table.name)) { await copy.settled(); ahead = take(); continue; }
          report(w.table.name, true);
          const next = () => { ahead ??= take(); };
          if (!await copyRange(w, () => copy.run(next))) { next(); continue; }
          next();
          if (w.range.done && queue.rangeDone(w.table.name)) count.tables++;
          report(w.table.name, true);
        }
      } finally {
        // nothing read ahead may still be running on the source when the copy returns
        const left = await ahead?.catch(() => null);
        await left?.copy.settled();
      }
    };
    const stopAll = (err: unknown) => { abort.abort(); throw err; };
    await allSettledOrThrow(sessions.map((s) => loader(s).catch(stopAll)));
    return queue.deferred();
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    abort.abort();
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/** Waits for every promise to settle (none left running), then throws the first rejection. */
async function allSettledOrThrow(all: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(all)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Loaders replace disjoint key ranges that nobody else writes, so they need no gap locks:
 * under REPEATABLE READ the range DELETE of one loader locks the gap up to the next existing
 * row, which on a table still filling spans other loaders' ranges (deadlocks). A target that
 * logs statements cannot write InnoDB rows under READ COMMITTED: it keeps its level, and a
 * deadlocked chunk is sent again (ChunkWriter).
 */
async function readCommitted(session: BinarySession): Promise<void> {
  const [row] = await session.rows<{ bin: number | string; fmt: string }>(
    'SELECT @@log_bin AS bin, @@binlog_format AS fmt');
  if (Number(row?.bin) === 1 && row?.fmt === 'STATEMENT') return;
  await session.run('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
}

/**
 * The ranges still to copy, table by table; a table is prepared (definition, split, plan)
 * when the loaders reach it. One caller at a time: planning uses the apply session.
 */
class RangeQueue {
  private readonly pending: Work[] = [];
  private readonly left = new Map<string, number>();
  private readonly skipped = new Set<string>();
  private nextTable = 0;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ParallelCopyOptions, private readonly stats: Map<string, TableStats>,
    private readonly signal: AbortSignal) {}

  next(): Promise<Work | null> {
    const taken = this.lock.then(() => this.take());
    // the next taker waits for this one to settle, not to succeed; the caller gets the error
    this.lock = taken.catch(() => undefined);
    return taken;
  }

  /** The table is copied later from a newer read: from scratch, none of its ranges now. */
  defer(table: string): void {
    if (this.skipped.has(table)) return;
    this.skipped.add(table);
    this.opts.state.tables[table] = { done: false, lastKey: null, rows: 0 };
    this.pending.splice(0, this.pending.length, ...this.pending.filter((w) => w.table.name !== table));
  }

  isDeferred(table: string): boolean {
    return this.skipped.has(table);
  }

  deferred(): string[] {
    return [...this.skipped];
  }

  /** A range of `table` is done; true when it was the table's last one. */
  rangeDone(table: string): boolean {
    const n = (this.left.get(table) ?? 1) - 1;
    this.left.set(table, n);
    return n === 0;
  }

  private async take(): Promise<Work | null> {
    while (!this.pending.length && this.nextTable < this.opts.tables.length && !this.signal.aborted) {
      await this.opts.gate?.();
      if (!this.signal.aborted) await this.prepareOrDefer(this.opts.tables[this.nextTable++] as string);
    }
    return this.signal.aborted ? null : this.pending.shift() ?? null;
  }

  /** Sampling a table's keys reads it in the consistent read too: a table changed since P is deferred. */
  private async prepareOrDefer(name: string): Promise<void> {
    try {
      await this.prepare(name);
    } catch (err) {
      if (!isTableDefChanged(err)) throw err;
      this.defer(name);
    }
  }

  private async prepare(name: string): Promise<void> {
    const o = this.opts;
    const p = (o.state.tables[name] ??= { done: false, lastKey: null, rows: 0 });
    if (p.done) return;
    const table = await describeTable(o.source, o.sourceSchema, name);
    if (!table) return this.defer(name); // dropped since the read began: its rows after P are skipped
    // Changed since P: deferred before a row is copied. Its chunks would commit a copy the
    // catch-up after a kill -9 takes for one at P, and replay the DDL on it a second time.
    if (!tableStarted(p) && await o.changed(name)) return this.defer(name);
    if (o.ownsSchema && !tableStarted(p)) {
      await recreateIfDifferent(o.atRead(name), o.applier, name, o.target.database, o.logger);
    }
    const targetTable = await describeTable(o.applier.session, o.target.database, name);
    if (!targetTable) {
      throw new SyncError('TARGET_TABLE_MISSING',
        `table ${name} does not exist in the target database ${o.target.database}`, {
        hint: 'Enable schema sync for the pair (schema: true) or create the table on the target, '
          + 'then run the pair again.',
      });
    }
    if (table.keyKind === 'none') o.statusHelper.warn(keylessWarning(name));
    const stats = this.stats.get(name) ?? { rows: 0, avgRowLength: 0 };
    const chunkRows = o.chunkRows ?? chunkRowsFor(stats.avgRowLength, o.chunkBytes);
    const { ranges, denseMax } = p.ranges ? { ranges: p.ranges, denseMax: null }
      : await this.plan(table, p.lastKey, p.rows, stats.rows, chunkRows);
    o.state.tables[name] = summarize(ranges);
    const open = ranges.filter((r) => !r.done);
    this.left.set(name, open.length);
    for (const range of open) this.pending.push({ table, targetTable, range, chunkRows, denseMax });
  }

  /**
   * A table's ranges: split at keys sampled in the consistent read, all rows written at once
   * before any is loaded. Progress kept from before ranges existed is one range.
   */
  private async plan(table: TableInfo, lastKey: unknown[] | null, rows: number, estimate: number,
    chunkRows: number): Promise<{ ranges: RangeProgress[]; denseMax: string | null }> {
    if (lastKey || rows > 0) {
      return { ranges: [{ ...planRanges(table.name, [])[0] as RangeProgress, lastKey, rows }], denseMax: null };
    }
    const n = table.key.length ? rangeCount(estimate, chunkRows, this.opts.parallel) : 1;
    const split = n > 1 ? await splitKeys(this.opts.source, table, estimate, n) : { keys: [], denseMax: null };
    const ranges = planRanges(table.name, split.keys);
    if (ranges.length > 1) {
      await this.opts.applier.commit(ranges.map((r) => [rangeStream(r), rangeRow(r)]));
      this.opts.logger.info({ table: table.name, ranges: ranges.length }, 'snapshot: table split into key ranges');
    }
    return { ranges, denseMax: split.denseMax };
  }
}
