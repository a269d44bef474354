/**
 * Runs or resumes the consistent snapshot of a pair (the reasoning is in snapshot.ts):
 * open a consistent read at P, catch the copied ranges up from the checkpoint S to P,
 * copy what is left from the read at P, drop the snapshot progress. Returns P, where the
 * stream continues.
 */
import type { ConnectionConfig } from '../config/schema.js';
import { closeWithin, openConnection, type Db } from '../db/connection.js';
import type { Capabilities } from '../db/preflight.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Applier, TableMode } from './applier.js';
import { runStream, type StreamOptions } from './binlog-stream.js';
import type { BinlogCheckpoint } from './binlog-sync.js';
import { CHECKPOINT_TABLE } from './checkpoint.js';
import { comparePositions, formatPosition, type BinlogPosition } from './events.js';
import { startConsistentSnapshot } from './position.js';
import { copyTable, estimateRows, type SnapshotState } from './snapshot.js';
import { keylessWarning, type StreamStatus } from './stream-status.js';
import { describeTable, listSyncedTables } from '../db/table-info.js';
import { quoteId } from '../db/quote.js';

export interface SnapshotRunnerOptions {
  pairName: string;
  source: ConnectionConfig;
  target: ConnectionConfig;
  inScope: (table: string) => boolean;
  caps: Capabilities;
  applier: Applier;
  identity: (pos: BinlogPosition, gtid?: string) => BinlogCheckpoint;
  streamBase: Omit<StreamOptions, 'start' | 'until' | 'tableMode'>;
  statusHelper: StreamStatus;
  logger: Logger;
  signal: AbortSignal;
  chunkRows?: number;
}

export class SnapshotRunner {
  constructor(private readonly o: SnapshotRunnerOptions) {}

  async run(ckpt: BinlogCheckpoint | null, saved: SnapshotState | null): Promise<BinlogPosition> {
    const db = await openConnection(this.o.source);
    try {
      const at = await startConsistentSnapshot(db, this.o.caps.flavor);
      const tables = await listSyncedTables(db, this.o.source.database, this.o.inScope);
      const state: SnapshotState = saved ?? { tables: {}, startedAt: new Date().toISOString() };
      if (!ckpt) {
        await this.o.applier.commit([['binlog', this.o.identity(at)], ['snapshot', state]]);
      } else {
        await this.catchUp({ file: ckpt.file, pos: ckpt.pos }, at, state);
        if (this.o.signal.aborted) return at;
      }
      this.o.logger.info({ at: formatPosition(at), tables: tables.length, resumed: !!saved }, 'snapshot: copying tables');
      const loadData = process.env.DB_SYNC_SNAPSHOT_LOAD_DATA !== '0' && await this.o.applier.localInfileEnabled();
      if (!loadData) this.o.logger.info('snapshot: target has local_infile off, copying with INSERTs');
      await this.copyAll(db, tables, state, loadData);
      if (this.o.signal.aborted) return at;
      await this.finish(at);
      await db.query('COMMIT');
      return at;
    } finally {
      await closeWithin(db);
    }
  }

  /** Bring the copied ranges from S up to the new read's position P. */
  private async catchUp(from: BinlogPosition, to: BinlogPosition, state: SnapshotState): Promise<void> {
    const cmp = comparePositions(from, to);
    if (cmp === 0) return;
    if (cmp > 0) {
      throw new SyncError('SNAPSHOT_STATE_INVALID', `snapshot checkpoint ${formatPosition(from)} is ahead of the source's ${formatPosition(to)}`, {
        hint: 'The source was reset or replaced. Re-copy: `db-sync sync run PAIR --resnapshot`.',
      });
    }
    this.o.logger.info({ from: formatPosition(from), to: formatPosition(to) }, 'snapshot resume: catching copied ranges up');
    const tableMode = (t: string): TableMode => {
      const p = state.tables[t];
      return p?.done ? 'exact' : p?.lastKey ? 'idempotent' : 'skip';
    };
    await runStream({ ...this.o.streamBase, start: from, until: to, tableMode });
  }

  private async copyAll(db: Db, tables: string[], state: SnapshotState, loadData: boolean): Promise<void> {
    const estimates = await estimateRows(db, this.o.source.database, tables);
    const rowsTotal = tables.reduce((n, t) => n + (state.tables[t]?.done ? state.tables[t]?.rows ?? 0 : estimates.get(t) ?? 0), 0);
    let rowsDone = tables.reduce((n, t) => n + (state.tables[t]?.rows ?? 0), 0);
    let tablesDone = tables.filter((t) => state.tables[t]?.done).length;
    this.o.statusHelper.snapshotStarted(rowsDone);
    for (const name of tables) {
      if (this.o.signal.aborted) return;
      if (state.tables[name]?.done) continue;
      const table = await describeTable(db, this.o.source.database, name);
      if (!table) continue; // dropped since listing: its DROP arrives in the stream
      if (table.keyKind === 'none') this.o.statusHelper.warn(keylessWarning(name));
      const report = (force = false) => this.o.statusHelper.snapshotProgress({ table: name, tablesDone, tablesTotal: tables.length, rowsDone, rowsTotal }, force);
      report(true);
      await copyTable({
        source: db, applier: this.o.applier, state, table, targetSchema: this.o.target.database,
        chunkRows: this.o.chunkRows ?? 10_000, loadData, checkpoints: (s) => [['snapshot', s]],
        onChunk: (n) => { rowsDone += n; report(); }, logger: this.o.logger, signal: this.o.signal,
      });
      if (state.tables[name]?.done) tablesDone++;
      report(true);
    }
  }

  /** Snapshot complete: drop its progress in one transaction with the stream position P. */
  private async finish(at: BinlogPosition): Promise<void> {
    await this.o.applier.begin();
    await this.o.applier.run({ sql: `DELETE FROM ${quoteId(CHECKPOINT_TABLE)} WHERE pair_name = ? AND stream = 'snapshot'`, params: [this.o.pairName] });
    await this.o.applier.commit([['binlog', this.o.identity(at)]]);
    this.o.logger.info({ at: formatPosition(at) }, 'snapshot complete');
  }
}
