/**
 * The source side of a cut-over: its binlog position and GTID, whether it still takes writes,
 * and read_only. Standalone queries (the data engine's internals are not used here).
 */
import type { Db } from '../db/connection.js';
import { serverMessage } from '../db/db-errors.js';
import type { ConnectionConfig } from '../config/schema.js';
import { parseFlavor, type Flavor } from '../db/flavor.js';
import { SyncError } from '../errors.js';
import { sleep } from '../sleep.js';

export interface BinlogPoint {
  file: string;
  pos: number;
}

export function formatPoint(p: BinlogPoint | null): string {
  return p ? `${p.file}:${p.pos}` : '(none)';
}

/** Binlog files sort by their numeric suffix (mysql-bin.000009 < mysql-bin.000010). */
export function comparePoints(a: BinlogPoint, b: BinlogPoint): number {
  if (a.file !== b.file) {
    const na = Number(/\.(\d+)$/.exec(a.file)?.[1] ?? NaN);
    const nb = Number(/\.(\d+)$/.exec(b.file)?.[1] ?? NaN);
    if (!Number.isNaN(na) && !Number.isNaN(nb) && na !== nb) return na < nb ? -1 : 1;
    return a.file < b.file ? -1 : 1;
  }
  return a.pos === b.pos ? 0 : a.pos < b.pos ? -1 : 1;
}

export async function sourceFlavor(db: Db): Promise<Flavor> {
  const [row] = await db.rows<{ v: string }>('SELECT VERSION() AS v');
  return parseFlavor(row?.v ?? '');
}

export async function sourcePoint(db: Db, flavor: Flavor, conn: ConnectionConfig): Promise<BinlogPoint> {
  const newer = flavor.name === 'mysql' && (flavor.major > 8 || (flavor.major === 8 && flavor.minor >= 4));
  const sql = newer ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
  const [row] = await db.rows<{ File: string; Position: number | string }>(sql);
  if (!row) {
    throw new SyncError('CUTOVER_NO_BINLOG', `the source (${conn.host}:${conn.port}) has no binary log`, {
      hint: 'cutover compares the pair\'s checkpoint with the source\'s binlog position: the source needs log_bin, '
        + `and the user ${flavor.binlogMonitorGrant}.`,
    });
  }
  return { file: row.File, pos: Number(row.Position) };
}

export async function sourceGtid(db: Db, flavor: Flavor): Promise<string | null> {
  const [row] = await db.rows<{ gtid: string | null }>(flavor.gtidPositionSql);
  return row?.gtid ? String(row.gtid) : null;
}

export async function isReadOnly(db: Db): Promise<boolean> {
  const [row] = await db.rows<{ ro: number | string }>('SELECT @@GLOBAL.read_only AS ro');
  return Number(row?.ro) === 1;
}

/** The privilege SET GLOBAL read_only needs, for messages. */
export function readOnlyGrant(flavor: Flavor): string {
  if (flavor.name === 'mariadb') {
    return flavor.major > 10 || (flavor.major === 10 && flavor.minor >= 5) ? 'READ_ONLY ADMIN' : 'SUPER';
  }
  return 'SYSTEM_VARIABLES_ADMIN (or SUPER)';
}

export async function setReadOnly(db: Db, on: boolean, flavor: Flavor, conn: ConnectionConfig): Promise<void> {
  try {
    await db.exec(`SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`);
  } catch (err) {
    const what = `cannot set read_only=${on ? 'ON' : 'OFF'} on the source as ${conn.user}`;
    throw new SyncError('CUTOVER_FREEZE_DENIED', `${what}: ${serverMessage(err)}`, {
      hint: `GRANT ${readOnlyGrant(flavor)} ON *.* TO '${conn.user}'@'%'; on the source, or stop the writes yourself `
        + '(e.g. SET GLOBAL read_only = ON as an administrator) and run cutover without --freeze-source.',
      cause: err,
    });
  }
}

export interface WriteCheck {
  moved: boolean;
  from: BinlogPoint;
  to: BinlogPoint;
}

/** Does the source's binlog position move within `windowMs`? Any commit on the server moves it. */
export async function watchForWrites(read: () => Promise<BinlogPoint>, windowMs: number,
  signal?: AbortSignal): Promise<WriteCheck> {
  const from = await read();
  const deadline = Date.now() + windowMs;
  let to = from;
  while (Date.now() < deadline && !signal?.aborted) {
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    to = await read();
    if (comparePoints(to, from) !== 0) return { moved: true, from, to };
  }
  return { moved: false, from, to };
}
