/**
 * Binlog retention against what a pair needs: a snapshot must finish (and its stream catch
 * up) before its start position expires, and a stopped pair must resume before its checkpoint
 * binlog expires. Read by `connection test` and `status`; the decisions are in decide.ts.
 */
import type { Config, ConnectionConfig, SyncPairConfig } from '../config/schema.js';
import { openConnection, type Db } from '../db/connection.js';
import { CHECKPOINT_TABLE } from '../data/checkpoint.js';
import { quoteId } from '../db/quote.js';
import { snapshotRetentionWarning, stoppedPairRisk, type PurgeRisk } from './decide.js';
import { binlogRetention, type BinlogRetention } from './load.js';

/** Rows per second assumed for a snapshot estimate: a third of the measured 300k rows/s (README, Benchmark). */
export const ESTIMATE_ROWS_PER_SEC = 100_000;
const TIMEOUT_MS = 3000;

export interface SourceRetention extends BinlogRetention {
  /** TABLE_ROWS of the database's base tables (an estimate for InnoDB). */
  rows: number;
  estimatedSnapshotSec: number;
  warning: string | null;
}

/** The source's retention and whether a snapshot of `database` fits in it. */
export async function sourceRetention(db: Db, database: string): Promise<SourceRetention | null> {
  const r = await binlogRetention(db);
  if (!r) return null;
  const [row] = await db.rows<{ n: string | number | null }>(
    "SELECT SUM(TABLE_ROWS) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
    [database]);
  const rows = Number(row?.n ?? 0);
  const estimatedSnapshotSec = rows / ESTIMATE_ROWS_PER_SEC;
  return { ...r, rows, estimatedSnapshotSec, warning: snapshotRetentionWarning(r.retention, estimatedSnapshotSec) };
}

export type PairRetention = PurgeRisk | { level: 'unknown'; message: string; purgeAt: null };

async function withDb<T>(conn: ConnectionConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openConnection(conn, { connectTimeoutMs: TIMEOUT_MS });
  try {
    return await fn(db);
  } finally {
    await db?.close();
  }
}

/** The pair's binlog checkpoint and when it last moved (target clock); null when it never streamed. */
async function checkpointAge(db: Db, pair: string): Promise<{ file: string; movedMs: number; nowMs: number } | null> {
  // no checkpoint table on the target yet: the pair has no checkpoint to age
  const rows = await db.rows<{ state: string; moved: string | number; now: string | number }>(
    `SELECT state, UNIX_TIMESTAMP(updated_at) AS moved, UNIX_TIMESTAMP(NOW(6)) AS now FROM ${quoteId(CHECKPOINT_TABLE)}
      WHERE pair_name = ? AND stream = 'binlog'`, [pair]).catch(() => []);
  const row = rows[0];
  if (!row) return null;
  const state = JSON.parse(row.state) as { file?: string };
  return state.file ? { file: state.file, movedMs: Number(row.moved) * 1000, nowMs: Number(row.now) * 1000 } : null;
}

/**
 * Will a pair that is not running find its checkpoint binlog when it starts? null when the
 * pair has no binlog checkpoint (never streamed, polling) or the source keeps no binlog.
 */
export async function pairRetention(config: Config, pair: SyncPairConfig): Promise<PairRetention | null> {
  const find = (n: string) => config.connections.find((c) => c.name === n);
  const source = find(pair.source);
  const target = find(pair.target);
  if (!source || !target) return null;
  try {
    const ckpt = await withDb(target, (db) => checkpointAge(db, pair.name));
    if (!ckpt) return null;
    const r = await withDb(source, (db) => binlogRetention(db));
    if (!r) return null;
    const files = r.files.map((f) => f.name);
    // the target's clock dates the checkpoint; compare on that clock
    return stoppedPairRisk({
      retention: r.retention, files, checkpointFile: ckpt.file, lastMoveMs: ckpt.movedMs, nowMs: ckpt.nowMs,
    });
  } catch (err) {
    return { level: 'unknown', message: `binlog retention not checked: ${(err as Error).message}`, purgeAt: null };
  }
}

export interface RetentionReport {
  /** null when the source keeps no binlog, or the user may not list it. */
  source: SourceRetention | null;
  /** Pairs reading from this connection, with the fate of their checkpoint binlog. */
  pairs: Array<{ pair: string; risk: PairRetention }>;
}

/** `connection test`: the connection's binlog retention, a snapshot's needs, and its pairs' checkpoints. */
export async function retentionReport(config: Config, conn: ConnectionConfig): Promise<RetentionReport> {
  // source unreachable: the report shows the pairs without the source side
  const source = await withDb(conn, (db) => sourceRetention(db, conn.database)).catch(() => null);
  const pairs: RetentionReport['pairs'] = [];
  for (const p of config.syncPairs.filter((x) => x.source === conn.name)) {
    const risk = await pairRetention(config, p);
    if (risk) pairs.push({ pair: p.name, risk });
  }
  return { source, pairs };
}
