/**
 * Checkpoints live in the TARGET database, in `_db_sync_checkpoint`, and are written in the
 * same transaction as the rows they cover: after a kill -9 the target's rows and its
 * checkpoint always agree. One row per (pair, stream); `stream` names what the state
 * belongs to: 'binlog', 'snapshot', 'poll:<table>', ... The state is JSON text.
 *
 * Every table whose name starts with `_db_sync_` is db-sync's own: never synced, never
 * diffed, never dropped.
 */
import { type Queryable } from '../db/connection.js';
import { quoteId } from '../db/quote.js';
import { quoteBytes } from '../db/row-bytes.js';

export const CHECKPOINT_TABLE = '_db_sync_checkpoint';

/** The stream's resume point ('binlog' row): a position on one identified source server. */
export interface BinlogCheckpoint {
  file: string;
  pos: number;
  /** The last applied transaction's GTID (shown in status). */
  gtid?: string;
  /**
   * Every transaction the target holds, as a GTID state (MariaDB position `0-1-42,1-3-7`, MySQL
   * set `uuid:1-42`): the resume point when the source has GTIDs, also on another server.
   */
  gtids?: string;
  serverId: number;
  serverUuid: string | null;
  flavor: string;
}
export { INTERNAL_TABLE_PREFIX, isInternalTable } from '../table-filter.js';

export async function ensureCheckpointTable(db: Queryable): Promise<void> {
  await db.rows(
    `CREATE TABLE IF NOT EXISTS ${quoteId(CHECKPOINT_TABLE)} (
      pair_name VARCHAR(64) NOT NULL,
      stream VARCHAR(255) NOT NULL,
      state LONGTEXT NOT NULL,
      updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
      PRIMARY KEY (pair_name, stream)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='db-sync checkpoints: do not edit'`,
  );
}

export async function readCheckpoint<T>(db: Queryable, pair: string, stream: string): Promise<T | null> {
  const rows = await db.rows<{ state: string }>(
    `SELECT state FROM ${quoteId(CHECKPOINT_TABLE)} WHERE pair_name = ? AND stream = ?`, [pair, stream]);
  const row = rows[0];
  return row ? (JSON.parse(row.state) as T) : null;
}

/** Write inside the caller's open transaction so it commits with the rows it covers. */
export async function writeCheckpoint(db: Queryable, pair: string, stream: string, state: unknown): Promise<void> {
  const st = checkpointUpsert(pair, stream, state);
  await db.rows(st.sql, st.params);
}

/** The checkpoint write as SQL + params, to batch it with the COMMIT in one round trip. */
export function checkpointUpsert(pair: string, stream: string, state: unknown): { sql: string; params: unknown[] } {
  return {
    sql: `INSERT INTO ${quoteId(CHECKPOINT_TABLE)} (pair_name, stream, state) VALUES (?, ?, ?)`
      + ' ON DUPLICATE KEY UPDATE state = VALUES(state)',
    params: [pair, stream, JSON.stringify(state)],
  };
}

/** A LIKE pattern matching every stream that starts with `prefix`. */
function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
}

export async function deleteCheckpoints(db: Queryable, pair: string, streamPrefix = ''): Promise<void> {
  await db.rows(`DELETE FROM ${quoteId(CHECKPOINT_TABLE)} WHERE pair_name = ? AND stream LIKE ?`,
    [pair, prefixPattern(streamPrefix)]);
}

/** Delete every checkpoint of the pair except the `keep` stream (a full re-copy starts over). */
export async function deleteCheckpointsExcept(db: Queryable, pair: string, keep: string): Promise<void> {
  await db.rows(`DELETE FROM ${quoteId(CHECKPOINT_TABLE)} WHERE pair_name = ? AND stream <> ?`, [pair, keep]);
}

/** The states of the pair's checkpoints whose stream starts with `prefix`. */
export async function readCheckpointsByPrefix<T>(db: Queryable, pair: string, prefix: string): Promise<T[]> {
  const rows = await db.rows<{ state: string }>(
    `SELECT state FROM ${quoteId(CHECKPOINT_TABLE)} WHERE pair_name = ? AND stream LIKE ?`,
    [pair, prefixPattern(prefix)]);
  return rows.map((r) => JSON.parse(r.state) as T);
}

/**
 * DELETE statement bytes for a binary session (inside the caller's transaction): the pair's
 * checkpoints of these streams, or of every stream starting with `prefix`.
 */
export function deleteCheckpointsBytes(pair: string, which: string[] | { prefix: string }): Buffer {
  const lit = (v: string) => `_utf8mb4 X'${Buffer.from(v, 'utf8').toString('hex')}'`;
  const streams = Array.isArray(which) ? `IN (${which.map(lit).join(', ')})`
    : `LIKE ${lit(prefixPattern(which.prefix))}`;
  const sql = `DELETE FROM ${quoteId(CHECKPOINT_TABLE)} WHERE pair_name = ${lit(pair)} AND stream ${streams}`;
  return Buffer.from(sql, 'latin1');
}

/**
 * The pair's lock as a condition on a write from a session other than the lock's own (a
 * snapshot loader): the checkpoint goes in only while `holder`, the apply session's
 * connection, holds `lock` on the target (runner-lock.ts).
 */
export interface WriteFence {
  lock: string;
  holder: number;
}

/**
 * checkpointUpsert as statement bytes for a binary session (values as exact UTF-8 literals).
 * With a fence, its stream is NULL unless the fence holds, which the NOT NULL column refuses
 * (ER_BAD_NULL_ERROR under the apply sessions' strict sql_mode): sent before COMMIT, after the
 * transaction's rows, it commits them only while this runner holds the pair. A runner that
 * took the pair over meanwhile cannot have written those rows yet: it takes the lock after the
 * check, and its writes to them wait for this transaction.
 */
export function checkpointBytes(pair: string, stream: string, state: unknown, fence?: WriteFence): Buffer {
  const key = `${pair}\0${stream}\0${fence ? `${fence.lock}\0${fence.holder}` : ''}`;
  let head = checkpointHeads.get(key);
  if (!head) {
    // written with every target transaction of the stream: the part before the state is made once
    const streamValue = fence
      ? [Buffer.from('IF(IS_USED_LOCK(', 'latin1'), utf8Literal(fence.lock),
        Buffer.from(`) <=> ${Math.trunc(fence.holder)}, `, 'latin1'), utf8Literal(stream),
        Buffer.from(', NULL)', 'latin1')]
      : [utf8Literal(stream)];
    head = Buffer.concat([
      Buffer.from(`INSERT INTO ${quoteId(CHECKPOINT_TABLE)} (pair_name, stream, state) VALUES (`, 'latin1'),
      utf8Literal(pair), Buffer.from(', ', 'latin1'), ...streamValue, Buffer.from(', ', 'latin1'),
    ]);
    if (checkpointHeads.size >= 10_000) checkpointHeads.clear(); // snapshot range streams: bounded
    checkpointHeads.set(key, head);
  }
  return Buffer.concat([head, utf8Literal(JSON.stringify(state)), UPSERT_TAIL]);
}

const checkpointHeads = new Map<string, Buffer>();
const UTF8MB4 = Buffer.from('_utf8mb4', 'latin1');
const UPSERT_TAIL = Buffer.from(') ON DUPLICATE KEY UPDATE state = VALUES(state)', 'latin1');
const utf8Literal = (v: string): Buffer => Buffer.concat([UTF8MB4, quoteBytes(Buffer.from(v, 'utf8'))]);
