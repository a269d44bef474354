/**
 * Make the target equal to the source for the differing rows only, in small transactions:
 * extra rows deleted by key, missing and different rows replaced by the source's current
 * row (read with the lossless driver options, so BIGINT UNSIGNED, DECIMAL, zero dates,
 * binary, JSON and geometry round-trip exactly). Whole ranges missing on the target are
 * copied page by page; whole ranges only on the target are deleted in batches.
 */
import { deleteRangeSql } from '../db/row-sql.js';
import type { Db } from '../db/connection.js';
import type { TableDiff } from './classify.js';
import type { KeyRange, KeyTuple } from './key-range.js';
import { keyOfRow, keyParams, rowsByKeys, rowsInRange, type Side } from './side.js';
import { deleteKeys, replaceRowsSafely } from './write-rows.js';

export interface RepairResult {
  inserted: number;
  replaced: number;
  deleted: number;
  /** Keys whose source row collides with a different target row on a secondary unique key. */
  conflicts: string[];
}

export interface RepairOptions {
  batchRows: number;
}

function batches<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

export async function repairTable(source: Side, targetWrite: Db, diff: TableDiff,
  opts: RepairOptions = { batchRows: 500 }): Promise<RepairResult> {
  const info = source.info;
  const result: RepairResult = { inserted: 0, replaced: 0, deleted: 0, conflicts: [] };
  for (const keys of batches(diff.extra, opts.batchRows)) {
    result.deleted += await targetWrite.transaction(() => deleteKeys(targetWrite, info, keys));
  }
  for (const bulk of diff.extraRanges) {
    result.deleted += await deleteRange(targetWrite, source, bulk.range, opts.batchRows);
  }
  // Different rows first: their new values can free unique values that missing rows need.
  for (const [kind, all] of [['replaced', diff.different], ['inserted', diff.missing]] as const) {
    for (const keys of batches(all, opts.batchRows)) {
      const rows = await rowsByKeys(source, keys);
      // A key whose source row vanished meanwhile is deleted on the target as well.
      await deleteVanished(targetWrite, source, keys, rows);
      const w = await replaceRowsSafely(targetWrite, info, rows);
      result[kind] += w.written;
      result.conflicts.push(...w.conflicts);
    }
  }
  for (const bulk of diff.missingRanges) {
    const w = await copyRange(source, targetWrite, bulk.range, opts.batchRows);
    result.inserted += w.written;
    result.conflicts.push(...w.conflicts);
  }
  return result;
}

async function deleteVanished(db: Db, source: Side, keys: KeyTuple[], rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === keys.length) return;
  const found = new Set(rows.map((r) => JSON.stringify(keyParams(source.info, keyOfRow(source.info, r)).map(String))));
  const gone = keys.filter((k) => !found.has(JSON.stringify(keyParams(source.info, k).map(String))));
  await db.transaction(() => deleteKeys(db, source.info, gone));
}

/** Copy a key range from source to target page by page (also the initial copy of a poll pair). */
export async function copyRange(source: Side, target: Db, range: KeyRange,
  pageRows: number): Promise<{ written: number; conflicts: string[] }> {
  let lower = range.lower;
  const out = { written: 0, conflicts: [] as string[] };
  for (;;) {
    const rows = await rowsInRange(source, { lower, upper: range.upper }, pageRows);
    if (rows.length === 0) break;
    const w = await replaceRowsSafely(target, source.info, rows);
    out.written += w.written;
    out.conflicts.push(...w.conflicts);
    if (rows.length < pageRows) break;
    lower = keyOfRow(source.info, rows[rows.length - 1] as Record<string, unknown>);
  }
  return out;
}

async function deleteRange(db: Db, source: Side, range: KeyRange, batch: number): Promise<number> {
  const st = deleteRangeSql(source.info, range.lower && keyParams(source.info, range.lower),
    range.upper && keyParams(source.info, range.upper), batch);
  let total = 0;
  for (;;) {
    const { affectedRows } = await db.transaction((tx) => tx.exec(st.sql, st.params));
    total += affectedRows;
    if (affectedRows < batch) return total;
  }
}
