/**
 * One server's view of one table for verify: checksums of key ranges, the n-th key of a
 * range (chunk and bisection boundaries), leaf rows as (key, hash), full rows by key.
 * Source reads can be throttled: after each query the side sleeps `sleepRatio` times the
 * query's duration, so the source is busy at most 1/(1+ratio) of the time.
 */
import type { Db } from '../db/connection.js';
import { quoteId } from '../db/quote.js';
import { chunkChecksumSql, rowHashHexExpr, type HashAlgo } from './canonical.js';
import { INTEGER_TYPES } from '../db/column-types.js';
import { keyIn, orderBy } from '../db/keyset.js';
import { rangePredicate, type KeyRange, type KeyTuple } from './key-range.js';
import type { TableInfo } from '../db/table-info.js';
import { sleep } from '../sleep.js';

export interface Side {
  db: Db;
  info: TableInfo;
  sleepRatio: number;
  hash: HashAlgo;
  signal?: AbortSignal;
  /** Awaited before each query (the source-load throttle: one query is one chunk). */
  gate?: () => Promise<void>;
  /** Rows sent by this server so far beyond checksum results: boundary keys, leaf hashes, full rows. */
  rowsRead: number;
  queries: number;
}

export interface Checksum {
  count: number;
  xor: bigint;
}

export interface LeafRow {
  key: KeyTuple;
  hash: string;
}


export function createSide(db: Db, info: TableInfo,
  opts: { sleepRatio?: number; hash?: HashAlgo; signal?: AbortSignal; gate?: () => Promise<void> } = {}): Side {
  return { db, info, sleepRatio: opts.sleepRatio ?? 0, hash: opts.hash ?? 'md5', signal: opts.signal, gate: opts.gate,
    rowsRead: 0, queries: 0 };
}

/** Whether the server has CRC32C() (MariaDB >= 10.8); both sides must, to use the 'crc' row hash. */
export async function hasCrc32c(db: Db): Promise<boolean> {
  try {
    await db.rows("SELECT CRC32C('') AS c");
    return true;
  } catch {
    // no CRC32C() on this server (older MariaDB, MySQL): the caller uses CRC32
    return false;
  }
}

/**
 * Integer key values come back as strings (lossless); send them as BigInt so a comparison with
 * a BIGINT column stays exact.
 */
export function keyParams(info: TableInfo, key: KeyTuple): KeyTuple {
  return key.map((v, i) => {
    const col = info.columns.find((c) => c.name === info.key[i]);
    return col && INTEGER_TYPES.has(col.dataType) && typeof v === 'string' ? BigInt(v) : v;
  });
}

function normalizeRange(side: Side, range: KeyRange): KeyRange {
  return {
    lower: range.lower && keyParams(side.info, range.lower), upper: range.upper && keyParams(side.info, range.upper),
  };
}

async function timed<T>(side: Side, sql: string, params: unknown[]): Promise<T[]> {
  await side.gate?.();
  const started = Date.now();
  const rows = await side.db.rows<T>(sql, params);
  side.queries += 1;
  const ms = Date.now() - started;
  if (side.sleepRatio > 0 && ms > 0) await sleep(ms * side.sleepRatio);
  return rows;
}

export async function checksumRange(side: Side, range: KeyRange): Promise<Checksum> {
  const p = rangePredicate(side.info.key, normalizeRange(side, range));
  const sql = chunkChecksumSql(side.info.name, side.info.columns, p.sql, side.hash);
  const [row] = await timed<{ c: string | number; x: string | number | null }>(side, sql, p.params);
  return { count: Number(row?.c ?? 0), xor: BigInt(row?.x ?? 0) };
}

function keySelect(pk: string[]): string {
  return pk.map((c, i) => `${quoteId(c)} AS k${i}`).join(', ');
}

function keyOf(row: Record<string, unknown>, n: number): KeyTuple {
  return Array.from({ length: n }, (_, i) => row[`k${i}`]);
}

/** The key at 0-based `offset` within the range, in key order; null when the range has fewer rows. */
export async function nthKey(side: Side, range: KeyRange, offset: number): Promise<KeyTuple | null> {
  const { key: pk, name } = side.info;
  const p = rangePredicate(pk, normalizeRange(side, range));
  const rows = await timed<Record<string, unknown>>(side,
    `SELECT ${keySelect(pk)} FROM ${quoteId(name)} WHERE ${p.sql} ORDER BY ${orderBy(pk)} LIMIT ?, 1`,
    [...p.params, offset]);
  side.rowsRead += rows.length;
  return rows[0] ? keyOf(rows[0], pk.length) : null;
}

/** MIN and MAX of a single-column integer key (two index dives); null for an empty table. */
export async function keyBounds(side: Side): Promise<{ min: bigint; max: bigint } | null> {
  const k = quoteId(side.info.key[0] as string);
  const [row] = await timed<{ lo: string | number | null; hi: string | number | null }>(side,
    `SELECT MIN(${k}) AS lo, MAX(${k}) AS hi FROM ${quoteId(side.info.name)}`, []);
  if (row?.lo === null || row?.lo === undefined || row.hi === null) return null;
  return { min: BigInt(String(row.lo)), max: BigInt(String(row.hi)) };
}

/** Up to `limit` (key, row hash) pairs of a range, in key order. */
export async function leafRows(side: Side, range: KeyRange, limit = 1_000_000): Promise<LeafRow[]> {
  const { key: pk, name, columns } = side.info;
  const p = rangePredicate(pk, normalizeRange(side, range));
  const rows = await timed<Record<string, unknown>>(side,
    `SELECT ${keySelect(pk)}, ${rowHashHexExpr(columns)} AS h FROM ${quoteId(name)} WHERE ${p.sql}`
      + ` ORDER BY ${orderBy(pk)} LIMIT ?`, [...p.params, limit]);
  side.rowsRead += rows.length;
  return rows.map((r) => ({ key: keyOf(r, pk.length), hash: String(r.h) }));
}

/** Full rows (writable columns, lossless values) for the given keys. */
export async function rowsByKeys(side: Side, keys: KeyTuple[]): Promise<Record<string, unknown>[]> {
  if (keys.length === 0) return [];
  const p = keyIn(side.info.key, keys.map((k) => keyParams(side.info, k)));
  const rows = await timed<Record<string, unknown>>(side,
    `SELECT ${side.info.writable.map(quoteId).join(', ')} FROM ${quoteId(side.info.name)} WHERE ${p.sql}`, p.params);
  side.rowsRead += rows.length;
  return rows;
}

/** Full rows of a range in key order, at most `limit`. */
export async function rowsInRange(side: Side, range: KeyRange, limit: number): Promise<Record<string, unknown>[]> {
  const { key: pk, name } = side.info;
  const p = rangePredicate(pk, normalizeRange(side, range));
  const rows = await timed<Record<string, unknown>>(side,
    `SELECT ${side.info.writable.map(quoteId).join(', ')} FROM ${quoteId(name)} WHERE ${p.sql}`
      + ` ORDER BY ${orderBy(pk)} LIMIT ?`, [...p.params, limit]);
  side.rowsRead += rows.length;
  return rows;
}

export function keyOfRow(info: TableInfo, row: Record<string, unknown>): KeyTuple {
  return info.key.map((c) => row[c]);
}
