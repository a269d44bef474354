/**
 * Make the target equal to the source for the differing rows only, in small transactions:
 * extra rows deleted by key, missing and different rows replaced by the source's current
 * row (read with the lossless driver options, so BIGINT UNSIGNED, DECIMAL, zero dates,
 * binary, JSON and geometry round-trip exactly). Whole ranges missing on the target are
 * copied page by page; whole ranges only on the target are deleted in batches.
 *
 * Memory and statements are bounded by bytes as well as rows: rows are read in batches sized
 * from the bytes per row just seen (about `batchBytes` each, 16 rows at first) and written in
 * groups of at most `batchBytes` of values, so 1 MB rows neither build a statement larger than
 * the target's max_allowed_packet nor hold hundreds of MB at once.
 */
import { RowBudget } from '../db/row-budget.js';
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
  /** Bytes of row values per read batch and per written statement (default 4 MiB). */
  batchBytes?: number;
}

const BATCH_BYTES = 4 << 20;
const FIRST_BATCH = 16;

function batches<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** The bytes a row's values take (what its INSERT carries, about). */
export function rowBytes(row: Record<string, unknown>): number {
  let n = 0;
  for (const v of Object.values(row)) {
    n += Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : 8;
  }
  return n;
}

/** Consecutive groups of rows of at most `bytes` of values each (a larger row alone). */
export function groupsByBytes<T extends Record<string, unknown>>(rows: T[], bytes: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let size = 0;
  for (const r of rows) {
    const b = rowBytes(r);
    if (cur.length && size + b > bytes) { out.push(cur); cur = []; size = 0; }
    cur.push(r);
    size += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Read batches: about `bytes` at the bytes per row last seen (at most, rounding down), 16 rows at first. */
function readBudget(maxRows: number, bytes: number): RowBudget {
  return new RowBudget({ bytes, maxRows, first: Math.min(maxRows, FIRST_BATCH), round: Math.floor });
}

/** What a batch of rows just read took, for the budget. */
function seen(budget: RowBudget, rows: Record<string, unknown>[]): void {
  budget.seen(rows.length, rows.reduce((n, r) => n + rowBytes(r), 0));
}

/** replaceRowsSafely over byte-sized groups of `rows`. */
async function writeGrouped(db: Db, source: Side, rows: Record<string, unknown>[],
  bytes: number): Promise<{ written: number; conflicts: string[] }> {
  const out = { written: 0, conflicts: [] as string[] };
  for (const group of groupsByBytes(rows, bytes)) {
    const w = await replaceRowsSafely(db, source.info, group);
    out.written += w.written;
    out.conflicts.push(...w.conflicts);
  }
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
  const bytes = opts.batchBytes ?? BATCH_BYTES;
  for (const [kind, all] of [['replaced', diff.different], ['inserted', diff.missing]] as const) {
    const budget = readBudget(opts.batchRows, bytes);
    for (let i = 0; i < all.length;) {
      const keys = all.slice(i, i + budget.next());
      i += keys.length;
      const rows = await rowsByKeys(source, keys);
      seen(budget, rows);
      // A key whose source row vanished meanwhile is deleted on the target as well.
      await deleteVanished(targetWrite, source, keys, rows);
      const w = await writeGrouped(targetWrite, source, rows, bytes);
      result[kind] += w.written;
      result.conflicts.push(...w.conflicts);
    }
  }
  for (const bulk of diff.missingRanges) {
    const w = await copyRange(source, targetWrite, bulk.range, opts.batchRows, bytes);
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

/** Copy a key range from source to target page by page, pages of at most `pageRows` and about `bytes`. */
export async function copyRange(source: Side, target: Db, range: KeyRange, pageRows: number,
  bytes = BATCH_BYTES): Promise<{ written: number; conflicts: string[] }> {
  let lower = range.lower;
  const out = { written: 0, conflicts: [] as string[] };
  const budget = readBudget(pageRows, bytes);
  for (;;) {
    const page = budget.next();
    const rows = await rowsInRange(source, { lower, upper: range.upper }, page);
    if (rows.length === 0) break;
    seen(budget, rows);
    const w = await writeGrouped(target, source, rows, bytes);
    out.written += w.written;
    out.conflicts.push(...w.conflicts);
    if (rows.length < page) break;
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
