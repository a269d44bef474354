/**
 * Binlog positions on the source, MySQL vs MariaDB behind one small interface.
 */
import type { Db } from '../db/connection.js';
import type { Flavor } from '../db/flavor.js';
import { SyncError } from '../errors.js';
import type { BinlogPosition } from './events.js';
import type { ClockSample } from './lag.js';

/** The end of the source's binlog now (SHOW MASTER STATUS / SHOW BINARY LOG STATUS). */
export async function serverPosition(db: Db, flavor: Flavor): Promise<BinlogPosition> {
  return (await masterStatus(db, flavor)).at;
}

/** The binlog end and, on MySQL, its Executed_Gtid_Set (gtid_executed at that same point). */
async function masterStatus(db: Db, flavor: Flavor): Promise<{ at: BinlogPosition; gtids: string | null }> {
  // MySQL 8.4 removed SHOW MASTER STATUS
  const mysql84 = flavor.name === 'mysql' && (flavor.major > 8 || (flavor.major === 8 && flavor.minor >= 4));
  const sql = mysql84 ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
  const [row] = await db.rows<{ File: string; Position: number | string; Executed_Gtid_Set?: string | null }>(sql);
  if (!row) {
    throw new SyncError('BINLOG_DISABLED', 'the source has no binary log', {
      hint: 'Start the source with --log-bin (and binlog_format=ROW), or use mode "poll".',
    });
  }
  const gtids = typeof row.Executed_Gtid_Set === 'string' ? row.Executed_Gtid_Set.replace(/\s/g, '') : null;
  return { at: { file: row.File, pos: Number(row.Position) }, gtids };
}

export interface SnapshotPoint {
  at: BinlogPosition;
  /**
   * MySQL: the executed GTID set at `at` (Executed_Gtid_Set, read under the same read lock as
   * the position), so a checkpoint taken there carries its set. MariaDB: null (its
   * @@gtid_binlog_pos is not snapshot-consistent; BINLOG_GTID_POS derives it from `at`).
   */
  gtids: string | null;
}

/**
 * Open a consistent read on `db` and return the binlog position it corresponds to.
 * MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT publishes that exact position in
 * binlog_snapshot_file/position, lock-free (@@gtid_binlog_pos is NOT snapshot-consistent;
 * the GTID position is derived from the file/position). MySQL has no such status: a brief
 * FLUSH TABLES WITH READ LOCK freezes the binlog while the snapshot starts (needs RELOAD), and
 * the position and gtid_executed are read together under it.
 */
export async function startConsistentSnapshot(db: Db, flavor: Flavor): Promise<SnapshotPoint> {
  await db.exec('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  if (flavor.name === 'mariadb') {
    await db.exec('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const rows = await db.rows<{ Variable_name: string; Value: string }>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const get = (n: string) => rows.find((r) => r.Variable_name.toLowerCase() === n)?.Value;
    const file = get('binlog_snapshot_file');
    const pos = get('binlog_snapshot_position');
    if (!file || pos === undefined) {
      throw new SyncError('BINLOG_DISABLED', 'the source reports no binlog snapshot position', {
        hint: 'Start the source with --log-bin.',
      });
    }
    return { at: { file, pos: Number(pos) }, gtids: null };
  }
  await db.exec('FLUSH TABLES WITH READ LOCK');
  try {
    await db.exec('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    return await masterStatus(db, flavor);
  } finally {
    await db.exec('UNLOCK TABLES');
  }
}

/** Binlog files the source still has (SHOW BINARY LOGS). */
export async function binlogFiles(db: Db): Promise<string[]> {
  return (await binlogSizes(db)).map((f) => f.name);
}

/** Binlog files and their sizes, oldest first; the last one's size is the end of the binlog now. */
export async function binlogSizes(db: Db): Promise<Array<{ name: string; size: number }>> {
  const rows = await db.rows<{ Log_name: string; File_size: number | string }>('SHOW BINARY LOGS');
  return rows.map((r) => ({ name: r.Log_name, size: Number(r.File_size) }));
}

/** Samples of the source's clock against `now` (lag.ts clockOffset picks the best). */
export async function sourceClock(db: Db, now: () => number, samples = 3): Promise<ClockSample[]> {
  const out: ClockSample[] = [];
  for (let i = 0; i < samples; i++) {
    const before = now();
    const [row] = await db.rows<{ t: string | number }>('SELECT UNIX_TIMESTAMP(NOW(6)) AS t');
    const after = now();
    out.push({ before, after, sourceMs: Number(row?.t) * 1000 });
  }
  return out;
}
