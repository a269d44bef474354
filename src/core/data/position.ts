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
  const sql = flavor.name === 'mysql' && (flavor.major > 8 || (flavor.major === 8 && flavor.minor >= 4)) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
  const [row] = await db.rows<{ File: string; Position: number | string }>(sql);
  if (!row) throw new SyncError('BINLOG_DISABLED', 'the source has no binary log', { hint: 'Start the source with --log-bin (and binlog_format=ROW), or use mode "poll".' });
  return { file: row.File, pos: Number(row.Position) };
}

/**
 * Open a consistent read on `db` and return the binlog position it corresponds to.
 * MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT publishes that exact position in
 * binlog_snapshot_file/position, lock-free (@@gtid_binlog_pos is NOT snapshot-consistent,
 * so db-sync resumes by file/position). MySQL has no such status: a brief
 * FLUSH TABLES WITH READ LOCK freezes the binlog while the snapshot starts (needs RELOAD).
 */
export async function startConsistentSnapshot(db: Db, flavor: Flavor): Promise<BinlogPosition> {
  await db.exec('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  if (flavor.name === 'mariadb') {
    await db.exec('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const rows = await db.rows<{ Variable_name: string; Value: string }>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const get = (n: string) => rows.find((r) => r.Variable_name.toLowerCase() === n)?.Value;
    const file = get('binlog_snapshot_file');
    const pos = get('binlog_snapshot_position');
    if (!file || pos === undefined) throw new SyncError('BINLOG_DISABLED', 'the source reports no binlog snapshot position', { hint: 'Start the source with --log-bin.' });
    return { file, pos: Number(pos) };
  }
  await db.exec('FLUSH TABLES WITH READ LOCK');
  try {
    await db.exec('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    return await serverPosition(db, flavor);
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
