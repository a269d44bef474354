/**
 * Writing source rows to the target by their row key (primary key, else the NOT NULL unique
 * key of db/table-info.ts), on a connection prepared with
 * prepareApplySession. A row is written as "delete by key, then insert the source's row":
 * exactly the source's values, and never REPLACE/ON DUPLICATE KEY UPDATE, which would
 * silently delete or overwrite a *different* row that collides on a secondary unique key.
 * Such a collision fails the insert (ER_DUP_ENTRY) and is reported as a conflict instead.
 * Callers own the transaction (polling commits its watermark in the same one).
 */
import type { Db } from '../db/connection.js';
import { isDuplicateKey } from '../db/db-errors.js';
import { deleteKeysSql, insertRowsSql } from '../db/row-sql.js';
import { renderKey, type KeyTuple } from './key-range.js';
import { keyOfRow, keyParams } from './side.js';
import type { TableInfo } from '../db/table-info.js';

export async function deleteKeys(db: Db, info: TableInfo, keys: KeyTuple[]): Promise<number> {
  if (keys.length === 0) return 0;
  const st = deleteKeysSql(info, keys.map((k) => keyParams(info, k)));
  return (await db.exec(st.sql, st.params)).affectedRows;
}

/** Delete the rows' keys, insert the rows. Throws on a secondary unique-key conflict. */
export async function replaceRows(db: Db, info: TableInfo, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  await deleteKeys(db, info, rows.map((r) => keyOfRow(info, r)));
  const st = insertRowsSql(info, rows);
  await db.exec(st.sql, st.params);
}

export interface WriteOutcome {
  written: number;
  conflicts: string[];
}

/**
 * replaceRows in one transaction; on a unique-key conflict roll back and write row by row,
 * each in its own transaction, collecting the rows that conflict. `extra` runs inside each
 * successful transaction (e.g. a checkpoint write).
 */
export async function replaceRowsSafely(db: Db, info: TableInfo, rows: Record<string, unknown>[],
  extra?: () => Promise<void>): Promise<WriteOutcome> {
  try {
    await db.transaction(async () => {
      await replaceRows(db, info, rows);
      await extra?.();
    });
    return { written: rows.length, conflicts: [] };
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const out: WriteOutcome = { written: 0, conflicts: [] };
  for (const row of rows) {
    try {
      await db.transaction(() => replaceRows(db, info, [row]));
      out.written += 1;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      out.conflicts.push(renderKey(keyOfRow(info, row)));
    }
  }
  if (extra) await db.transaction(extra);
  return out;
}
