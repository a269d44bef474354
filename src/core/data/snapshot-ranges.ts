/**
 * Key ranges of the parallel snapshot and their progress checkpoints.
 *
 * A big table is split into key ranges at keys sampled from the source; each range is copied
 * chunk after chunk by one loader connection. Each range's progress is a checkpoint row of its
 * own (`snapshot/<table>/<index>`) that only that range's chunk transactions write. A shared
 * row written by several loaders would let one loader commit another's progress before that
 * loader's chunk committed: after a kill -9 the rows of that chunk would be missing for good.
 *
 * Rows of a split table's ranges are written together (one transaction, by the apply session)
 * before any of them is loaded, so a resume finds every range's bounds; an unsplit table's
 * single row is created by its first chunk. Range rows are authoritative: a table with range
 * rows has copied what they say. Whoever resets a table's progress (catch-up DDL, a foreign-key
 * group starting over, --recopy) deletes its range rows in the same transaction.
 */
import type { Db, Queryable } from '../db/connection.js';
import { quoteId, quoteQualified } from '../db/quote.js';
import { keyBetween } from '../db/keyset.js';
import { rowsForBytes } from '../db/row-budget.js';
import type { TableInfo } from '../db/table-info.js';
import { deleteCheckpointsBytes, readCheckpointsByPrefix } from './checkpoint.js';
import { encodeKey, type RangeProgress, type SnapshotState, type TableProgress } from './snapshot.js';

export type { RangeProgress };

export const RANGE_STREAM_PREFIX = 'snapshot/';

export function rangeStream(r: { table: string; index: number }): string {
  return `${RANGE_STREAM_PREFIX}${r.table}/${r.index}`;
}

/** What a range's checkpoint row holds (no in-memory extras). */
export function rangeRow(r: RangeProgress): RangeProgress {
  return { table: r.table, index: r.index, lo: r.lo, hi: r.hi, lastKey: r.lastKey, rows: r.rows, done: r.done };
}

/** Something of the table is on the target (its copied ranges must then follow the stream). */
export function tableStarted(p: TableProgress | undefined): boolean {
  if (!p) return false;
  if (p.ranges) return p.ranges.some((r) => r.done || r.lastKey !== null);
  return p.done || p.lastKey !== null;
}

/** Whole-table figures of a table's ranges (done when every range is). */
export function summarize(ranges: RangeProgress[]): TableProgress {
  return { done: ranges.every((r) => r.done), lastKey: null, rows: ranges.reduce((n, r) => n + r.rows, 0), ranges };
}

/** The shared `snapshot` row: which tables the snapshot copies; range progress lives in the range rows. */
export function sharedState(state: SnapshotState): SnapshotState {
  const tables = Object.fromEntries(Object.entries(state.tables).map(([t, p]) => [t,
    p.ranges ? { done: false, lastKey: null, rows: 0 } : { done: p.done, lastKey: p.lastKey, rows: p.rows }]));
  return { ...state, tables };
}

export async function readRanges(db: Queryable, pair: string): Promise<RangeProgress[]> {
  const states = await readCheckpointsByPrefix<RangeProgress | null>(db, pair, RANGE_STREAM_PREFIX);
  return states.filter((r): r is RangeProgress => !!r);
}

/**
 * Put the range rows read back into the state. Rows of tables the snapshot does not copy
 * (a partial snapshot's other tables) are returned as stale.
 */
export function attachRanges(state: SnapshotState, ranges: RangeProgress[]): RangeProgress[] {
  const byTable = new Map<string, RangeProgress[]>();
  const stale: RangeProgress[] = [];
  for (const r of ranges) {
    if (state.partial && !(r.table in state.tables)) stale.push(r);
    else byTable.set(r.table, [...(byTable.get(r.table) ?? []), r]);
  }
  for (const [t, list] of byTable) state.tables[t] = summarize(list.sort((a, b) => a.index - b.index));
  return stale;
}

/** DELETE statement bytes for range rows (apply session, inside a transaction): these, or 'all'. */
export function deleteRangesSql(pair: string, streams: string[] | 'all'): Buffer[] {
  if (!streams.length) return [];
  return [deleteCheckpointsBytes(pair, streams === 'all' ? { prefix: RANGE_STREAM_PREFIX } : streams)];
}

/** Row estimate and average row length per table (information_schema): split and chunk sizes, ETA. */
export interface TableStats {
  rows: number;
  avgRowLength: number;
}

export async function tableStats(db: Db, schema: string): Promise<Map<string, TableStats>> {
  const rows = await db.rows<{ name: string; n: number | string | null; len: number | string | null }>(
    `SELECT TABLE_NAME AS name, TABLE_ROWS AS n, AVG_ROW_LENGTH AS len
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, [schema]);
  return new Map(rows.map((r) => [r.name, { rows: Number(r.n ?? 0), avgRowLength: Number(r.len ?? 0) }]));
}

/** Rows per chunk so that a chunk is about `chunkBytes` (from the table's average row length). */
export function chunkRowsFor(avgRowLength: number, chunkBytes: number): number {
  if (avgRowLength <= 0) return 1000;
  return rowsForBytes(chunkBytes, 1, avgRowLength, 1_000_000, Math.floor);
}

/**
 * How many ranges a table gets: enough for every loader and a few spare ones (a loader that
 * finishes early takes the next range, so one slow range does not leave the others idle),
 * but at least 4 chunks per range.
 */
export function rangeCount(estimatedRows: number, chunkRows: number, parallel: number): number {
  if (parallel <= 1) return 1;
  return Math.max(1, Math.min(2 * parallel, Math.floor(estimatedRows / (4 * chunkRows))));
}

/**
 * `count - 1` split keys (encoded), evenly spaced by row count. A single integer key whose
 * values are dense (the span from MIN to MAX at most twice the estimated rows: an
 * AUTO_INCREMENT key, a few gaps) is split by arithmetic, at the existing key just below each
 * point, with index lookups only: loading starts at once, where sampling reads most of the
 * key index first. Other keys: each split key found from the last with one OFFSET step, so
 * the whole sampling reads the key index once. Fewer keys come back when the table holds
 * fewer rows than estimated.
 */
export async function splitKeys(db: Db, table: TableInfo, estimatedRows: number, count: number): Promise<Split> {
  const step = Math.floor(estimatedRows / count);
  if (count <= 1 || step < 1) return { keys: [], denseMax: null };
  return await denseSplitKeys(db, table, estimatedRows, count)
    ?? { keys: await sampledSplitKeys(db, table, step, count), denseMax: null };
}

export interface Split {
  /** The split keys (encoded), ascending. */
  keys: unknown[][];
  /**
   * The key's MAX in the read (decimal text) when it is a dense single integer key: the
   * ranges' pages may then end by arithmetic (snapshot.ts, pageEnd). Null otherwise.
   */
  denseMax: string | null;
}

async function sampledSplitKeys(db: Db, table: TableInfo, step: number, count: number): Promise<unknown[][]> {
  const keys: unknown[][] = [];
  const cols = table.key.map(quoteId).join(', ');
  let last: unknown[] | null = null;
  for (let i = 1; i < count; i++) {
    const where: { sql: string; params: unknown[] } = keyBetween(table.key, last, null);
    const [row] = await db.arrays(`SELECT ${cols} FROM ${quoteQualified(table.schema, table.name)}`
      + ` WHERE ${where.sql} ORDER BY ${cols} LIMIT 1 OFFSET ${step - 1}`, where.params);
    if (!row) break;
    last = row;
    keys.push(encodeKey(row));
  }
  return keys;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

/** Split keys of a dense single integer key (see splitKeys); null when the key is not one. */
async function denseSplitKeys(db: Db, table: TableInfo, estimatedRows: number,
  count: number): Promise<Split | null> {
  const [name] = table.key;
  const column = table.columns.find((c) => c.name === name);
  if (table.key.length !== 1 || !name || !column || !INTEGER_TYPES.has(column.dataType)) return null;
  const from = quoteQualified(table.schema, table.name);
  const col = quoteId(name);
  // the bounds as decimal text: BIGINT values beyond 2^53 stay exact
  const [bounds] = await db.arrays(`SELECT CAST(MIN(${col}) AS CHAR), CAST(MAX(${col}) AS CHAR) FROM ${from}`);
  if (bounds?.[0] === null || bounds?.[0] === undefined || bounds[1] === null || bounds[1] === undefined) return null;
  const points = evenSplitPoints(BigInt(String(bounds[0])), BigInt(String(bounds[1])), estimatedRows, count);
  if (!points) return null;
  const keys: unknown[][] = [];
  let last: bigint | null = null;
  for (const point of points) {
    // the key itself, as the driver returns that column (what sampling would have given);
    // the point is a number literal, so the comparison stays an integer one
    const [row] = await db.arrays(`SELECT ${col} FROM ${from} WHERE ${col} <= ${point} ORDER BY ${col} DESC LIMIT 1`);
    if (!row || row[0] === null || row[0] === undefined) continue;
    const at = BigInt(String(row[0]));
    if (last !== null && at <= last) continue; // a gap holds two points: one range fewer
    last = at;
    keys.push(encodeKey(row));
  }
  return { keys, denseMax: String(bounds[1]) };
}

/**
 * The points that cut [min, max] into `count` equal spans (each the last value of its span),
 * when the key is dense enough for equal spans to hold about equal rows: null otherwise.
 */
export function evenSplitPoints(min: bigint, max: bigint, estimatedRows: number, count: number): bigint[] | null {
  const span = max - min + 1n;
  const n = BigInt(count);
  if (count <= 1 || span < n || span > 2n * BigInt(Math.max(1, Math.ceil(estimatedRows)))) return null;
  return Array.from({ length: count - 1 }, (_, i) => min + (span * BigInt(i + 1)) / n - 1n);
}

/** Ranges between consecutive split keys (one unbounded range without keys). */
export function planRanges(table: string, keys: unknown[][]): RangeProgress[] {
  const bounds = [null, ...keys, null];
  return bounds.slice(1).map((hi, i) => ({
    table, index: i, lo: bounds[i] ?? null, hi, lastKey: null, rows: 0, done: false,
  }));
}

/**
 * Loader connections when the setting is absent: the target's cores (MariaDB's
 * thread_pool_size defaults to them), at least 2 so one loader's round trips and commit
 * overlap another's work, at most 4: beyond its cores a bulk load gains nothing on the target,
 * and each loader holds up to three chunks in memory.
 */
export function defaultParallel(targetCores: number | null): number {
  return Math.min(4, Math.max(2, targetCores ?? 2));
}

export async function targetCores(db: Queryable): Promise<number | null> {
  try {
    const [row] = await db.rows<{ n: number | string | null }>('SELECT @@GLOBAL.thread_pool_size AS n');
    const n = Number(row?.n ?? 0);
    return n > 0 ? n : null;
  } catch {
    return null; // MySQL has no such variable
  }
}
