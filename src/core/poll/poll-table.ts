/**
 * One poll cycle of one table: read rows changed since the watermark, ordered by
 * (timestamp, key) in pages, and write them to the target with the watermark in the same
 * transaction.
 *
 * Late commits: a transaction can commit after rows with newer timestamps were already
 * read. For `overlapMs` after the table last changed, each cycle therefore re-reads from
 * `watermark - overlap` (inclusive) and skips rows whose content it already wrote (kept in
 * memory for that window only). Once the table has been quiet for the overlap, cycles read
 * strictly after (ts, key) = watermark: on an idle table one query that returns no row.
 * A transaction longer than the overlap, or clock skew beyond it, is caught by the
 * checksum reconciliation (as are deletes).
 */
import type { Db } from '../db/connection.js';
import { quoteId } from '../db/quote.js';
import { writeCheckpoint } from '../data/checkpoint.js';
import { keyId, type KeyTuple } from '../checksum/key-range.js';
import { keyAfter, orderBy, type Predicate } from '../db/keyset.js';
import { keyOfRow, keyParams } from '../checksum/side.js';
import type { TableInfo } from '../db/table-info.js';
import { replaceRowsSafely } from '../checksum/write-rows.js';
import type { TimestampColumn } from './timestamp-column.js';

export interface Watermark {
  ts: string | null;
  /** Key of the last row at `ts`; null right after the initial copy (then `ts >=` is used). */
  pk: KeyTuple | null;
  /** Our clock (ms) when the table last showed a change. */
  changedAt: number;
}

export interface PollTableState {
  info: TableInfo;
  ts: TimestampColumn;
  stream: string;
  wm: Watermark;
  /** Row content written during the current overlap window, by key id. */
  seen: Map<string, string>;
}

export interface PollDeps {
  pairName: string;
  source: Db;
  targetWrite: Db;
  pageRows: number;
  overlapMs: number;
  stats: { queries: number; rowsRead: number };
  onConflict: (table: string, keys: string[]) => void;
}

const SEEN_LIMIT = 50_000;

function rowDigest(row: Record<string, unknown>): string {
  return JSON.stringify(Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
}

function startPredicate(st: PollTableState, deps: PollDeps, now: number): Predicate {
  const col = quoteId(st.ts.name);
  const { ts, pk } = st.wm;
  if (ts === null) return { sql: `${col} IS NOT NULL`, params: [] };
  if (now - st.wm.changedAt < deps.overlapMs) {
    return st.ts.kind === 'time'
      ? { sql: `${col} >= CAST(? AS DATETIME(6)) - INTERVAL ? MICROSECOND`, params: [ts, deps.overlapMs * 1000] }
      : { sql: `${col} >= ? - ?`, params: [ts, Math.ceil(deps.overlapMs / 1000)] };
  }
  st.seen.clear();
  if (pk === null) return { sql: `${col} >= ?`, params: [ts] };
  return keyAfter([st.ts.name, ...st.info.key], [ts, ...keyParams(st.info, pk)]);
}

/** Run one cycle for the table; returns the number of rows written. */
export async function pollTable(st: PollTableState, deps: PollDeps): Promise<number> {
  const cols = [...st.info.writable];
  if (!cols.includes(st.ts.name)) cols.push(st.ts.name);
  const order = `${quoteId(st.ts.name)}, ${orderBy(st.info.key)}`;
  let where = startPredicate(st, deps, Date.now());
  let written = 0;
  for (;;) {
    const rows = await deps.source.rows<Record<string, unknown>>(
      `SELECT ${cols.map(quoteId).join(', ')} FROM ${quoteId(st.info.name)} `
        + `WHERE ${where.sql} ORDER BY ${order} LIMIT ?`,
      [...where.params, deps.pageRows]);
    deps.stats.queries += 1;
    deps.stats.rowsRead += rows.length;
    const last = rows[rows.length - 1];
    if (!last) break;
    written += await applyPage(st, deps, rows, last);
    if (rows.length < deps.pageRows) break;
    const lastKey = keyParams(st.info, keyOfRow(st.info, last));
    where = keyAfter([st.ts.name, ...st.info.key], [String(last[st.ts.name]), ...lastKey]);
  }
  return written;
}

async function applyPage(st: PollTableState, deps: PollDeps, rows: Record<string, unknown>[],
  last: Record<string, unknown>): Promise<number> {
  const changed = rows.filter((r) => st.seen.get(keyId(keyOfRow(st.info, r))) !== rowDigest(r));
  const wm: Watermark = {
    ts: String(last[st.ts.name]), pk: keyOfRow(st.info, last),
    changedAt: changed.length > 0 ? Date.now() : st.wm.changedAt,
  };
  if (changed.length === 0 && JSON.stringify(wm) === JSON.stringify(st.wm)) return 0;
  const toWrite = changed.map((r) => stripExtra(r, st));
  const checkpoint = () => writeCheckpoint(deps.targetWrite, deps.pairName, st.stream, wm);
  const out = await replaceRowsSafely(deps.targetWrite, st.info, toWrite, checkpoint);
  if (out.conflicts.length > 0) deps.onConflict(st.info.name, out.conflicts);
  for (const r of changed) {
    const id = keyId(keyOfRow(st.info, r));
    st.seen.delete(id);
    st.seen.set(id, rowDigest(r));
  }
  // Under a constant write load the window never closes; forgetting the oldest entries only
  // costs a redundant rewrite of those rows.
  for (const id of st.seen.keys()) {
    if (st.seen.size <= SEEN_LIMIT) break;
    st.seen.delete(id);
  }
  st.wm = wm;
  return out.written;
}

/** The timestamp column is selected even when generated; never write a generated column. */
function stripExtra(row: Record<string, unknown>, st: PollTableState): Record<string, unknown> {
  const col = st.info.columns.find((c) => c.name === st.ts.name);
  if (!col?.generated) return row;
  const { [st.ts.name]: _omit, ...rest } = row;
  return rest;
}
