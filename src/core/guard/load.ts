/**
 * What the guard reads from the servers: Threads_running, a replica's lag, the InnoDB
 * history list length, the binlog retention and files. Each is one cheap statement that works
 * on MariaDB and MySQL; a read that is refused (privileges) gives null, never an error.
 */
import type { Db } from '../db/connection.js';
import { retentionSec } from './decide.js';

export async function threadsRunning(db: Db): Promise<number | null> {
  const rows = await db.rows<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Threads_running'");
  const v = rows[0]?.Value;
  return v === undefined ? null : Number(v);
}

/** Seconds_Behind_Master of the server's replication (null: not running); throws when it is no replica. */
export async function replicaLagSec(db: Db): Promise<number | null> {
  // SHOW SLAVE STATUS is understood by MariaDB and by MySQL up to 8.3 (8.4 knows only SHOW REPLICA STATUS).
  let rows: Array<Record<string, unknown>>;
  try {
    rows = await db.rows<Record<string, unknown>>('SHOW SLAVE STATUS');
  } catch {
    // SHOW SLAVE STATUS is gone in MySQL 8.4: ask under the new name
    rows = await db.rows<Record<string, unknown>>('SHOW REPLICA STATUS');
  }
  const row = rows[0];
  if (!row) throw new Error('not a replica (SHOW SLAVE STATUS is empty)');
  const lag = row.Seconds_Behind_Master ?? row.Seconds_Behind_Source;
  return lag === null || lag === undefined ? null : Number(lag);
}

/** InnoDB's history list length (needs PROCESS); null when the server does not tell. */
export async function historyListLength(db: Db): Promise<number | null> {
  try {
    const rows = await db.rows<{ n: string | number }>(
      "SELECT `COUNT` AS n FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len'");
    return rows[0] ? Number(rows[0].n) : null;
  } catch {
    // INNODB_METRICS not readable (privileges, other engine): no history length to report
    return null;
  }
}

export interface BinlogRetention {
  /** Seconds a binlog is kept by age; 0 = kept until purged by hand. */
  retention: number;
  /** The source's binlog files, oldest first, with their sizes. */
  files: Array<{ name: string; size: number }>;
}

async function numericVar(db: Db, name: string): Promise<number | null> {
  try {
    const [row] = await db.rows<{ v: string | number | null }>(`SELECT @@GLOBAL.${name} AS v`);
    return row?.v === null || row?.v === undefined ? null : Number(row.v);
  } catch {
    return null; // the server does not know this variable
  }
}

/** The source's binlog retention and files; null without a binlog or the grant to list it. */
export async function binlogRetention(db: Db): Promise<BinlogRetention | null> {
  let files: Array<{ name: string; size: number }>;
  try {
    const rows = await db.rows<{ Log_name: string; File_size: string | number }>('SHOW BINARY LOGS');
    files = rows.map((r) => ({ name: r.Log_name, size: Number(r.File_size) }));
  } catch {
    // no binlog or no privilege: no retention to report
    return null;
  }
  const expireSeconds = await numericVar(db, 'binlog_expire_logs_seconds');
  const expireDays = await numericVar(db, 'expire_logs_days');
  return { retention: retentionSec({ expireSeconds, expireDays }), files };
}
