/**
 * Runs or resumes the consistent snapshot of a pair (the reasoning is in snapshot.ts): open
 * a consistent read at P, catch the copied tables up from the checkpoint S to P, copy what
 * is left from the read at P, drop the snapshot progress. Returns P, where the stream goes on.
 *
 * Foreign keys: tables linked by foreign keys resume as a group. If any table of a group was
 * not copied completely, the whole group is copied again, so that during the catch-up every
 * table is either fully there (changes applied exactly, foreign keys checked and cascading
 * as on the source) or not there yet (changes skipped): a cascade never half-reaches a group.
 */
import type { ConnectionConfig } from '../config/schema.js';
import { openConnection, type Db } from '../db/connection.js';
import type { Capabilities } from '../preflight.js';
import { quoteQualified } from '../db/quote.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Applier, TableMode } from './applier.js';
import { runStream, type StreamOptions } from './apply-loop.js';
import { comparePositions, formatPosition, type BinlogPosition } from './events.js';
import { copyParallel } from './parallel-copy.js';
import { definition, openSnapshotRead } from './snapshot-read.js';
import type { SnapshotState, TableProgress } from './snapshot.js';
import {
  attachRanges, defaultParallel, deleteRangesSql, rangeStream, readRanges, sharedState, tableStarted, targetCores,
} from './snapshot-ranges.js';
import type { StreamStatus } from './stream-status.js';
import type { BinlogCheckpoint, WriteFence } from './checkpoint.js';
import type { SourceGuard } from '../guard/source-guard.js';

/**
 * Rendered rows per snapshot chunk. 1 MiB: the 1M-row copy's peak RSS was 138-149 MB (16 runs)
 * against 145-156 MB (8 runs) with 4 MiB chunks, at the same speed within the noise (docs/data.md).
 */
const DEFAULT_CHUNK_BYTES = 1 << 20;

export interface SnapshotRunnerOptions {
  pairName: string;
  source: ConnectionConfig;
  target: ConnectionConfig;
  inScope: (table: string) => boolean;
  caps: Capabilities;
  applier: Applier;
  /** The pair syncs schema: a table about to be copied gets the source's definition first. */
  ownsSchema: boolean;
  maxPacket: number;
  identity: (pos: BinlogPosition, gtid?: string, gtids?: string) => BinlogCheckpoint;
  streamBase: Omit<StreamOptions, 'start' | 'until' | 'tableMode'>;
  statusHelper: StreamStatus;
  logger: Logger;
  signal: AbortSignal;
  chunkRows?: number;
  /** Bytes of rendered rows per chunk when chunkRows is not given (default 4 MiB). */
  chunkBytes?: number;
  /** Loader connections on the target (default: from the target's cores, see defaultParallel). */
  parallel?: number;
  /** Waits between chunks while the source is loaded; watches the history list while the read view is open. */
  guard?: SourceGuard;
  /**
   * A new pair: the tables its schema step gave the target from the source's list. Those the
   * source no longer has at the read's position (dropped or renamed in between) are dropped.
   */
  schemaTables?: string[];
  /** The pair's lock, as the condition of every chunk's commit (ChunkWriter). */
  fence?: WriteFence;
}

export const SNAPSHOT_STREAM = 'snapshot';

export function freshProgress(): TableProgress {
  return { done: false, lastKey: null, rows: 0 };
}

export class SnapshotRunner {
  constructor(private readonly opts: SnapshotRunnerOptions) {}

  /** Copies the tables; returns the checkpoint the stream continues from (the read's position). */
  async run(ckpt: BinlogCheckpoint | null, saved: SnapshotState | null): Promise<BinlogCheckpoint> {
    const db = await openConnection(this.opts.source);
    let stopWatch: (() => void) | undefined;
    try {
      const read = await openSnapshotRead(db, this.opts.caps.flavor, this.opts.source.database, this.opts.inScope,
        this.opts.logger);
      stopWatch = this.opts.guard?.watchHistory();
      const { at, tables: inScope } = read;
      // MySQL: the set executed at the read (MariaDB derives its GTID position from `at` later)
      const point = this.opts.identity(at, undefined, this.opts.caps.gtidMode ? read.gtids || undefined : undefined);
      const state: SnapshotState = saved ?? { tables: {}, startedAt: new Date().toISOString() };
      const stored = await readRanges(this.opts.applier.session, this.opts.pairName);
      if (!ckpt) {
        await this.dropGone(inScope);
        await this.opts.applier.commit([['binlog', point], [SNAPSHOT_STREAM, sharedState(state)]],
          deleteRangesSql(this.opts.pairName, stored.map(rangeStream)));
      } else {
        attachRanges(state, stored);
        await this.regroup(db, state, inScope);
        await this.catchUp({ file: ckpt.file, pos: ckpt.pos }, at, state);
        if (this.opts.signal.aborted) return point;
        // tables not copied yet that the source no longer has at P: what the catch-up left of them goes
        const gone = Object.keys(state.tables).filter((t) => !state.tables[t]!.done && !inScope.includes(t));
        await this.dropGone(inScope, gone.filter((t) => this.opts.inScope(t)));
        for (const t of gone) delete state.tables[t];
        // tables started over (foreign-key group, DDL in the catch-up) lose their range rows now
        const kept = new Set(Object.values(state.tables).flatMap((p) => p.ranges ?? []).map(rangeStream));
        await this.opts.applier.commit([[SNAPSHOT_STREAM, sharedState(state)]],
          deleteRangesSql(this.opts.pairName, stored.map(rangeStream).filter((st) => !kept.has(st))));
      }
      const tables = state.partial ? inScope.filter((t) => t in state.tables) : inScope;
      this.opts.logger.info({
        at: formatPosition(at), tables: tables.length, resumed: !!saved, partial: !!state.partial,
      }, 'snapshot: copying tables');
      const loadData = process.env.DB_SYNC_SNAPSHOT_LOAD_DATA !== '0' && await localInfileEnabled(this.opts.applier);
      if (!loadData) this.opts.logger.info('snapshot: target has local_infile off, copying with INSERTs');
      const deferred = await this.copyAll(db, tables, state, loadData, read.shapes);
      if (this.opts.signal.aborted) return point;
      // tables changed after P were not copied as they were at P: copy them from a newer read
      const next = deferred.length ? partialState(deferred) : null;
      await this.opts.applier.commit([['binlog', point], [SNAPSHOT_STREAM, next]],
        deleteRangesSql(this.opts.pairName, 'all'));
      if (next) {
        this.opts.logger.info({ at: formatPosition(at), tables: deferred },
          'snapshot: tables changed while copying are copied again from a newer read');
      } else this.opts.logger.info({ at: formatPosition(at) }, 'snapshot complete');
      await db.exec('COMMIT');
      return point;
    } finally {
      stopWatch?.();
      await db?.close(2000);
    }
  }

  /**
   * Warns (once) when the copy, at the pace so far, needs more of the source's binlog retention
   * than is safe: checked at most every 5 s, from 5 s into the copy on.
   */
  private retentionCheck(rowsAtStart: number, rowsTotal: number): (rowsDone: number) => Promise<void> {
    const started = Date.now();
    let last = 0;
    return async (rowsDone) => {
      const elapsed = (Date.now() - started) / 1000;
      if (!this.opts.guard || elapsed < 5 || Date.now() - last < 5000 || rowsDone <= rowsAtStart) return;
      last = Date.now();
      const neededSec = (elapsed * (rowsTotal - rowsAtStart)) / (rowsDone - rowsAtStart);
      // the retention warning is advice; failing to compute it must not stop the copy
      const warning = await this.opts.guard.snapshotWarning(neededSec).catch(() => null);
      if (!warning) return;
      this.opts.logger.warn({ neededSec: Math.round(neededSec) }, warning);
      this.opts.statusHelper.warn(warning);
    };
  }

  /**
   * Tables the target has but the source no longer has at the read's position: those the schema
   * step created (see schemaTables) and `also` (not copied yet, left by a resumed snapshot's catch-up).
   */
  private async dropGone(atRead: string[], also: string[] = []): Promise<void> {
    const gone = [...new Set([...this.opts.schemaTables ?? [], ...also])].filter((t) => !atRead.includes(t));
    if (!gone.length) return;
    this.opts.logger.info({ tables: gone }, 'snapshot: dropping tables the source no longer has at the read');
    const session = this.opts.applier.session;
    await session.run('SET SESSION foreign_key_checks = 0');
    for (const t of gone) await session.run(`DROP TABLE IF EXISTS ${quoteQualified(this.opts.target.database, t)}`);
    this.opts.applier.invalidate();
    this.opts.applier.forgetFkChecks();
  }

  /** Tables linked by foreign keys resume together: a group with an unfinished table starts over. */
  private async regroup(db: Db, state: SnapshotState, inScope: string[]): Promise<void> {
    const links = await db.rows<{ a: string; b: string }>(
      `SELECT DISTINCT TABLE_NAME AS a, REFERENCED_TABLE_NAME AS b FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL`,
      [this.opts.source.database, this.opts.source.database]);
    const scoped = new Set(inScope);
    const groups = components(links.filter((l) => scoped.has(l.a) && scoped.has(l.b)).map((l) => [l.a, l.b]));
    const unfinished = (t: string) => (state.partial ? t in state.tables : true) && !state.tables[t]?.done;
    for (const group of groups) {
      if (!group.some(unfinished)) continue;
      for (const t of group) state.tables[t] = freshProgress();
    }
  }

  /** Bring the copied tables from S up to the new read's position P. */
  private async catchUp(from: BinlogPosition, to: BinlogPosition, state: SnapshotState): Promise<void> {
    const cmp = comparePositions(from, to);
    if (cmp === 0) return;
    if (cmp > 0) {
      const message = `snapshot checkpoint ${formatPosition(from)} is ahead of the source's ${formatPosition(to)}`;
      throw new SyncError('SNAPSHOT_STATE_INVALID', message, {
        hint: 'The source was reset or replaced. Re-copy: `db-sync sync run PAIR --resnapshot`.',
      });
    }
    this.opts.logger.info({ from: formatPosition(from), to: formatPosition(to) },
      'snapshot resume: catching copied tables up');
    const tableMode = (t: string): TableMode => {
      const p = state.tables[t];
      if (!p) return state.partial ? 'exact' : 'skip';
      return p.done ? 'exact' : tableStarted(p) ? 'idempotent' : 'skip';
    };
    const base = this.opts.streamBase;
    // range rows of tables started over: emptied in the same transactions as the reset
    const dropped = new Set<string>();
    const restart = (t: string) => {
      for (const r of state.tables[t]?.ranges ?? []) dropped.add(rangeStream(r));
      state.tables[t] = freshProgress();
    };
    await runStream({
      ...base, start: from, until: to, tableMode,
      // the progress changes below commit with the position they belong to
      checkpoints: (pos, gtid, gtids) => [...base.checkpoints(pos, gtid, gtids),
        [SNAPSHOT_STREAM, sharedState(state)], ...[...dropped].map((st): [string, null] => [st, null])],
      catchUp: {
        // DDL naming a table not copied completely (a copy in progress means nothing now, a rename
        // carries a table not copied to a new name): every table it names is copied from scratch
        onTableDdl: (names) => {
          if (!names.some((t) => tableMode(t) !== 'exact')) return;
          for (const t of names) restart(t);
        },
        onCopy: (tables) => { for (const t of tables) restart(t); },
      },
    });
  }

  /** Copy the tables; returns those that no longer had their definition of the read's position (copied later). */
  private async copyAll(db: Db, tables: string[], state: SnapshotState, loadData: boolean,
    shapes: Map<string, string>): Promise<string[]> {
    const parallel = this.opts.parallel ?? defaultParallel(await targetCores(this.opts.applier.session));
    this.opts.logger.info({ parallel }, 'snapshot: loader connections');
    const guard = this.opts.guard;
    const atRead = (name: string) => shapes.get(name) ?? null;
    return copyParallel({
      pairName: this.opts.pairName, source: db, sourceSchema: this.opts.source.database, target: this.opts.target,
      applier: this.opts.applier, tables, state, loadData, ownsSchema: this.opts.ownsSchema, parallel,
      chunkRows: this.opts.chunkRows, chunkBytes: this.opts.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      maxPacket: this.opts.maxPacket, fence: this.opts.fence,
      statusHelper: this.opts.statusHelper, logger: this.opts.logger, signal: this.opts.signal,
      atRead,
      changed: async (name) => (await definition(db, this.opts.source.database, name)) !== atRead(name),
      gate: guard && (() => guard.gate()),
      watch: (rowsDone, rowsTotal) => {
        const retention = this.retentionCheck(rowsDone, rowsTotal);
        return (rows) => void retention(rows);
      },
    });
  }
}

/** A snapshot of just these tables (the others are in sync already). */
export function partialState(tables: string[]): SnapshotState {
  const progress = Object.fromEntries(tables.map((t) => [t, freshProgress()]));
  return { tables: progress, startedAt: new Date().toISOString(), partial: true };
}

/** Connected components of an undirected graph given as edges. */
export function components(edges: Array<[string, string]>): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(x, r);
    return r;
  };
  for (const [a, b] of edges) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    parent.set(find(a), find(b));
  }
  const groups = new Map<string, string[]>();
  for (const x of parent.keys()) groups.set(find(x), [...(groups.get(find(x)) ?? []), x]);
  return [...groups.values()];
}

/** Whether the target accepts LOAD DATA LOCAL (server variable local_infile). */
async function localInfileEnabled(applier: Applier): Promise<boolean> {
  try {
    const [row] = await applier.session.rows<{ v: unknown }>('SELECT @@GLOBAL.local_infile AS v');
    return Number(row?.v ?? 0) === 1;
  } catch {
    return false; // an older server without the variable: the INSERT path works everywhere
  }
}

